#include "proto/sip/stack_core.hpp"

#include <sofia-sip/msg.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/url.h>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <tuple>
#include <algorithm>
#include <cctype>
#include <vector>

#include "common/log.hpp"
#include "common/net.hpp"

namespace parley::proto::sip::detail {
namespace {

Poco::Logger& log() { return common::logger("sip"); }

constexpr char kAllow[] = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, SUBSCRIBE, REFER";
// Requests the application answers itself (nua answers the rest).
constexpr char kApplMethods[] = "OPTIONS, SUBSCRIBE, REFER, UPDATE";
// RFC 6230 section 5: a media server advertises the control framework media type.
constexpr char kAccept[] = "application/sdp, application/cfw";
constexpr common::Duration kStartTimeout = std::chrono::seconds(2);
constexpr common::Duration kShutdownHardLimit = std::chrono::seconds(35);

std::once_flag gSuInitOnce;
int gSuInitResult = 0;

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

}  // namespace

// URL text through a scratch sofia home.
std::string urlText(url_t const* url) {
    if (!url) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char* text = url_as_string(home, url);
    std::string out = str(text);
    su_home_deinit(home);
    return out;
}

namespace {

struct HostPort {
    std::string host;
    uint16_t port = 0;
};

common::Result<HostPort> parseListen(const std::string& listen) {
    std::string host;
    std::string portText;
    if (!listen.empty() && listen.front() == '[') {
        auto close = listen.find(']');
        if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
            return common::makeError(EINVAL, "bad listen address '" + listen + "'");
        host = listen.substr(0, close + 1);
        portText = listen.substr(close + 2);
    } else {
        auto colon = listen.rfind(':');
        if (colon == std::string::npos || colon == 0)
            return common::makeError(EINVAL, "bad listen address '" + listen + "' (want host:port)");
        host = listen.substr(0, colon);
        portText = listen.substr(colon + 1);
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || end != portText.data() + portText.size() || port > 65535 ||
        host.find_first_of(" ;?@<>\"") != std::string::npos)
        return common::makeError(EINVAL, "bad listen address '" + listen + "'");
    return HostPort{host, static_cast<uint16_t>(port)};
}

// Binds UDP and TCP on a fixed address once, so that a busy or foreign address is refused
// here rather than inside nua_create(), whose failure path leaks.
common::Status probeBind(const std::string& listen) {
    auto addr = common::SocketAddress::parse(listen);
    if (!addr) return addr.error();
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
        common::Fd fd(::socket(addr->family(), type | SOCK_CLOEXEC, 0));
        if (!fd) return common::makeError(errno, std::string("socket: ") + std::strerror(errno));
        if (type == SOCK_STREAM) {
            int one = 1;
            ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        }
        if (::bind(fd.get(), addr->sa(), addr->len()) != 0) {
            int err = errno;
            return common::makeError(err, "cannot listen on " + listen + " (" +
                                              (type == SOCK_DGRAM ? "udp" : "tcp") +
                                              "): " + std::strerror(err));
        }
    }
    return {};
}

// Any header as its text, through a scratch sofia home.
std::string headerText(void const* header) {
    if (!header) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char* text = sip_header_as_string(home, static_cast<sip_header_t const*>(header));
    std::string out = str(text);
    su_home_deinit(home);
    return out;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

DialogState fromCallState(int cs) {
    switch (cs) {
        case nua_callstate_init:
        case nua_callstate_authenticating:
        case nua_callstate_calling: return DialogState::Calling;
        case nua_callstate_proceeding:
        case nua_callstate_received:
        case nua_callstate_early: return DialogState::Early;
        case nua_callstate_completing: return DialogState::Completing;
        case nua_callstate_completed: return DialogState::Completed;
        case nua_callstate_ready: return DialogState::Ready;
        case nua_callstate_terminating: return DialogState::Terminating;
        default: return DialogState::Terminated;
    }
}

}  // namespace

// The C callbacks sofia calls, cast back to the StackCore they were registered with.
struct Trampolines {
    static void nua(nua_event_t event, int status, char const* phrase, nua_t*, nua_magic_t* magic,
                    nua_handle_t* nh, nua_hmagic_t*, sip_t const* sip, tagi_t tags[]) {
        static_cast<StackCore*>(magic)->onNuaEvent(event, status, phrase, nh, sip, tags);
    }
    static int loopReadable(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) {
        static_cast<StackCore*>(arg)->onLoopReadable();
        return 0;
    }
};

SipMessage toMessage(sip_t const* sip) {
    SipMessage m;
    if (!sip) return m;
    if (sip->sip_request) {
        m.method = str(sip->sip_request->rq_method_name);
        m.requestUri = urlText(sip->sip_request->rq_url);
    }
    if (sip->sip_status) {
        m.status = sip->sip_status->st_status;
        m.reason = str(sip->sip_status->st_phrase);
    }
    if (sip->sip_from) {
        m.fromUri = urlText(sip->sip_from->a_url);
        m.fromTag = str(sip->sip_from->a_tag);
        m.fromDisplay = str(sip->sip_from->a_display);
    }
    if (sip->sip_to) {
        m.toUri = urlText(sip->sip_to->a_url);
        m.toTag = str(sip->sip_to->a_tag);
    }
    if (sip->sip_call_id) m.callId = str(sip->sip_call_id->i_id);
    if (sip->sip_contact) {
        m.contactUri = urlText(sip->sip_contact->m_url);
        m.contactIsFocus = msg_params_find(sip->sip_contact->m_params, "isfocus") != nullptr;
    }
    if (sip->sip_payload && sip->sip_payload->pl_data && sip->sip_payload->pl_len > 0) {
        m.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
        if (sip->sip_content_type) m.contentType = str(sip->sip_content_type->c_type);
    }
    if (sip->sip_event) m.event = headerText(sip->sip_event);
    if (sip->sip_expires) m.expires = static_cast<int>(std::min<unsigned long>(sip->sip_expires->ex_delta, 0x7fffffff));
    if (sip->sip_refer_to) m.referTo = urlText(sip->sip_refer_to->r_url);
    if (sip->sip_referred_by) m.referredBy = urlText(sip->sip_referred_by->b_url);
    if (sip->sip_subscription_state) m.subscriptionState = headerText(sip->sip_subscription_state);
    if (sip->sip_session_expires) {
        m.sessionExpires = static_cast<uint32_t>(sip->sip_session_expires->x_delta);
        m.refresher = str(sip->sip_session_expires->x_refresher);
    }
    for (sip_unknown_t const* u = sip->sip_unknown; u; u = u->un_next)
        m.otherHeaders.emplace_back(str(u->un_name), str(u->un_value));
    return m;
}

StackCore::StackCore(common::EventLoop& loop, SipConfig config, SipHandler& handler)
    : loop_(loop), config_(std::move(config)), handler_(handler), rng_(std::random_device{}()) {}

StackCore::~StackCore() {
    shutdown();
    *alive_ = false;
}

std::string StackCore::newToken(std::size_t hexChars) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(hexChars);
    while (out.size() < hexChars) {
        uint64_t r = rng_();
        for (int i = 0; i < 16 && out.size() < hexChars; ++i, r >>= 4) out.push_back(kHex[r & 15]);
    }
    return out;
}

const char* StackCore::internPhrase(const std::string& phrase) {
    static constexpr std::size_t kMaxPhrases = 1024;
    auto it = phrases_.find(phrase);
    if (it == phrases_.end()) {
        if (phrases_.size() >= kMaxPhrases) return nullptr;
        it = phrases_.insert(phrase).first;
    }
    return it->c_str();
}

common::Status StackCore::start() {
    std::call_once(gSuInitOnce, [] { gSuInitResult = su_init(); });
    if (gSuInitResult != 0) return common::makeError(500, "su_init failed");

    auto listen = parseListen(config_.listen);
    if (!listen) return listen.error();
    listenHost_ = listen->host;
    if (listen->port != 0) {
        auto probed = probeBind(config_.listen);
        if (!probed) return probed.error();
    }

    root_.reset(su_root_create(nullptr));
    if (!root_) return common::makeError(500, "su_root_create failed");
    su_root_threading(root_.get(), 0);  // nua runs on this thread too

    su_wait_t wait[1];
    if (su_wait_create(wait, loop_.fd(), SU_WAIT_IN) != 0)
        return common::makeError(500, "su_wait_create failed");
    loopWaitIndex_ = su_root_register(root_.get(), wait, &Trampolines::loopReadable, this, 0);
    if (loopWaitIndex_ < 0) {
        su_wait_destroy(wait);
        return common::makeError(500, "su_root_register failed");
    }

    std::string url;
    if (config_.advertiseHost.empty())
        url = "sip:" + listenHost_ + ":" + std::to_string(listen->port);
    else
        url = "sip:" + config_.advertiseHost + ":" + std::to_string(listen->port) +
              ";maddr=" + listenHost_;
    std::string fromUri = "sip:" + config_.user + "@" +
                          (config_.advertiseHost.empty() ? listenHost_ : config_.advertiseHost);

    std::string allowEvents;
    for (const auto& e : config_.allowEvents) {
        bool token = !e.empty() && std::all_of(e.begin(), e.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_';
        });
        if (!token) return common::makeError(EINVAL, "bad event package name '" + e + "'");
        allowEvents += (allowEvents.empty() ? "" : ", ") + e;
    }
    if (config_.subscribeMinExpires > config_.subscribeMaxExpires || config_.subscribeMaxExpires == 0)
        return common::makeError(EINVAL, "subscribeMinExpires exceeds subscribeMaxExpires");
    const bool timers = config_.sessionExpires > 0;
    if (timers && config_.sessionExpires < config_.minSessionExpires)
        return common::makeError(EINVAL, "sessionExpires is below minSessionExpires");
    int refresher = nua_any_refresher;
    if (config_.refresher == SipConfig::Refresher::Local) refresher = nua_local_refresher;
    if (config_.refresher == SipConfig::Refresher::Remote) refresher = nua_remote_refresher;

    nua_ = nua_create(root_.get(), &Trampolines::nua, this, NUTAG_URL(url.c_str()),
                      SIPTAG_FROM_STR(fromUri.c_str()), NUTAG_M_USERNAME(config_.user.c_str()),
                      SIPTAG_USER_AGENT_STR(config_.userAgent.c_str()), SIPTAG_ALLOW_STR(kAllow),
                      SIPTAG_SUPPORTED_STR(timers ? "timer" : ""), NUTAG_APPL_METHOD(kApplMethods),
                      TAG_IF(!allowEvents.empty(), NUTAG_ALLOW_EVENTS(allowEvents.c_str())),
                      NUTAG_SUB_EXPIRES(config_.subscribeMaxExpires),
                      NUTAG_REFER_EXPIRES(config_.referExpires),
                      NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOACK(0), NUTAG_AUTOANSWER(0),
                      NUTAG_AUTOALERT(0), NUTAG_SESSION_TIMER(config_.sessionExpires),
                      TAG_IF(timers, NUTAG_MIN_SE(config_.minSessionExpires)),
                      TAG_IF(timers, NUTAG_SESSION_REFRESHER(refresher)),
                      TAG_IF(timers, NUTAG_UPDATE_REFRESH(1)), NUTAG_ENABLEMESSAGE(0),
                      TAG_END());
    if (!nua_) {
        int err = errno;
        return common::makeError(err ? err : 500, "cannot listen on " + url + ": " +
                                                      (err ? std::strerror(err) : "nua_create failed"));
    }

    nua_get_params(nua_, NTATAG_CONTACT(nullptr), TAG_END());
    if (!stepUntil(gotParams_, kStartTimeout) || port_ == 0)
        return common::makeError(500, "could not learn the bound SIP port");
    PARLEY_LOG_INFO(log(), "SIP listening on " << listenHost_ << ":" << port_ << " (udp, tcp)");
    return {};
}

bool StackCore::stepUntil(const bool& flag, common::Duration limit) {
    auto deadline = common::Clock::now() + limit;
    while (!flag && common::Clock::now() < deadline) su_root_step(root_.get(), 50);
    return flag;
}

void StackCore::run() {
    if (!root_ || shutDown_) return;
    if (stopRequested_.exchange(false)) return;
    su_root_run(root_.get());
}

void StackCore::runOnce(common::Duration maxWait) {
    if (!root_ || shutDown_) return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(maxWait).count();
    su_root_step(root_.get(), static_cast<su_duration_t>(std::max<long long>(0, ms)));
}

void StackCore::stop() {
    stopRequested_.store(true);
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive] {
        auto a = alive.lock();
        if (!a || !*a || !root_) return;
        if (stopRequested_.exchange(false)) su_root_break(root_.get());
    });
}

void StackCore::onLoopReadable() { loop_.dispatch(); }

void StackCore::shutdown() {
    if (shutDown_) return;
    shutDown_ = true;
    shuttingDown_ = true;
    if (nua_) {
        // Transactions started from here on (the BYEs and CANCELs of the shutdown) give up
        // within the shutdown time instead of the usual 32 s.
        auto t1x64 = static_cast<unsigned>(std::max<long>(200, config_.shutdownTimeout.count() / 2));
        nua_set_params(nua_, NTATAG_SIP_T1X64(t1x64), TAG_END());
        nua_shutdown(nua_);
        // nua re-checks its shutdown once a second: allow one more tick.
        if (!stepUntil(shutdownDone_, config_.shutdownTimeout + std::chrono::seconds(1))) {
            PARLEY_LOG_WARN(log(), "SIP shutdown slower than " << config_.shutdownTimeout.count()
                                                               << " ms; still waiting");
            stepUntil(shutdownDone_, kShutdownHardLimit);
        }
        std::vector<SubscriptionRef> subsLeft;
        for (auto& [nh, sub] : subscriptions_) subsLeft.push_back(sub);
        for (auto& sub : subsLeft) finishSubscription(sub, "stack shut down");
        std::vector<DialogRef> left;
        for (auto& [nh, d] : dialogs_) left.push_back(d);
        for (auto& d : left) finish(d, 0, "stack shut down");
        if (shutdownDone_) {
            nua_destroy(nua_);
        } else {
            PARLEY_LOG_ERROR(log(), "SIP stack did not shut down; leaking it");
            nua_ = nullptr;
            root_.release();  // nua still refers to it
            return;
        }
        nua_ = nullptr;
    }
    if (root_ && loopWaitIndex_ >= 0) su_root_deregister(root_.get(), loopWaitIndex_);
    loopWaitIndex_ = -1;
    root_.reset();
}

DialogRef StackCore::find(nua_handle_t* nh) const {
    if (!nh) return nullptr;
    auto it = dialogs_.find(nh);
    return it == dialogs_.end() ? nullptr : it->second;
}

common::Result<DialogRef> StackCore::invite(const InviteRequest& request, SipHandler* handler) {
    if (!nua_ || shutDown_) return common::makeError(503, "SIP stack is shut down");
    auto headers = renderHeaders(request.headers);
    if (!headers) return headers.error();
    su_home_t home[1] = {SU_HOME_INIT(home)};
    std::string fromUri = request.from.empty()
                              ? "sip:" + config_.user + "@" + advertiseHost_ + ":" + std::to_string(port_)
                              : request.from;
    std::string reqUri = request.requestUri.empty() ? request.to : request.requestUri;
    bool valid = !request.to.empty() && sip_to_make(home, request.to.c_str()) != nullptr &&
                 sip_from_make(home, fromUri.c_str()) != nullptr &&
                 url_hdup(home, URL_STRING_MAKE(reqUri.c_str())->us_url) != nullptr &&
                 request.contentType.find_first_of("\r\n") == std::string::npos;
    su_home_deinit(home);
    if (!valid) return common::makeError(400, "bad URI in INVITE request");

    auto core = std::make_unique<DialogCore>();
    core->stack = this;
    core->handler = handler;
    core->role = DialogRole::Uac;
    core->state = DialogState::Calling;
    core->callId = newToken(32);
    core->localTag = newToken(16);
    core->localUri = fromUri;
    core->remoteUri = request.to;
    core->clientInvitePending = true;
    core->offerSent = !request.body.empty();
    core->lastLocalSdp = request.body;
    if (request.isFocus) {
        std::string user = request.contactUser.empty() ? config_.user : request.contactUser;
        if (user.find_first_of("@:<>;\"\r\n ") != std::string::npos)
            return common::makeError(400, "bad contact user");
        bool tcp = reqUri.find("transport=tcp") != std::string::npos;
        core->contact = "<sip:" + user + "@" + advertiseHost_ + ":" + std::to_string(port_) +
                        (tcp ? ";transport=tcp" : "") + ">;isfocus";
        core->focus = true;
    }

    std::string from = "<" + fromUri + ">;tag=" + core->localTag;
    std::string to = "<" + request.to + ">";
    nua_handle_t* nh = nua_handle(nua_, nullptr, SIPTAG_TO_STR(to.c_str()),
                                  SIPTAG_FROM_STR(from.c_str()), TAG_END());
    if (!nh) return common::makeError(500, "nua_handle failed");
    core->nh = nh;
    auto dialog = std::make_shared<Dialog>(std::move(core));
    nua_handle_bind(nh, dialog.get());
    dialogs_.emplace(nh, dialog);

    bool hasBody = !request.body.empty();
    const std::string& contact = dialog->core().contact;
    nua_invite(nh, NUTAG_URL(reqUri.c_str()), SIPTAG_CALL_ID_STR(dialog->callId().c_str()),
               TAG_IF(!contact.empty(), SIPTAG_CONTACT_STR(contact.c_str())),
               TAG_IF(hasBody, SIPTAG_CONTENT_TYPE_STR(request.contentType.c_str())),
               TAG_IF(hasBody, SIPTAG_PAYLOAD_STR(request.body.c_str())),
               TAG_IF(!headers->empty(), SIPTAG_HEADER_STR(headers->c_str())), TAG_END());
    return dialog;
}

void StackCore::onNuaEvent(nua_event_t event, int status, char const* phrase, nua_handle_t* nh,
                           sip_t const* sip, tagi_t tags[]) {
    PARLEY_LOG_DEBUG(log(), "nua " << nua_event_name(event) << " " << status << " " << str(phrase));
    switch (event) {
        case nua_r_shutdown:
            if (status >= 200) shutdownDone_ = true;
            return;
        case nua_r_get_params:
            onGetParams(tags);
            return;
        case nua_i_invite:
            onIncomingInvite(status, nh, sip);
            return;
        case nua_i_options:
            if (!find(nh) && !subscriptions_.count(nh)) onOptions(nh);
            return;
        case nua_i_subscribe:
            onSubscribe(status, nh, sip, tags);
            return;
        case nua_i_refer:
            onRefer(status, nh, sip, tags);
            return;
        case nua_r_notify:
            onNotifyResponse(status, phrase, nh, tags);
            return;
        default:
            break;
    }

    DialogRef d = find(nh);
    if (!d) {
        // A request on a handle nua made for it (already answered, e.g. 405): release it.
        if (nh && nua_event_is_incoming_request(event) && !subscriptions_.count(nh))
            nua_handle_destroy(nh);
        if (event == nua_i_error)
            PARLEY_LOG_WARN(log(), "SIP error " << status << " " << str(phrase));
        return;
    }
    DialogCore& c = d->core();
    switch (event) {
        case nua_r_invite:
            onInviteResponse(d, status, sip);
            break;
        case nua_i_ack:
            handlerFor(c).onAck(d, toMessage(sip));
            break;
        case nua_i_bye:
            handlerFor(c).onBye(d, toMessage(sip));
            break;
        case nua_i_cancel:
            c.serverInvitePending = false;
            handlerFor(c).onCancel(d);
            break;
        case nua_i_state:
            onCallState(d, status, phrase, tags);
            break;
        case nua_i_update:
            onUpdate(d, status, sip);
            break;
        case nua_r_update:
            onUpdateResponse(d, status, sip);
            break;
        case nua_r_bye:
            // A BYE the application did not ask for: nua ended the session because a session
            // refresh (RFC 4028) failed or the peer's never came.
            if (!c.byeAsked && !shuttingDown_ && c.endStatus == 0 &&
                config_.sessionExpires > 0) {
                c.endStatus = 408;
                c.endReason = "session timer expired";
                PARLEY_LOG_INFO(log(), "SIP dialog " << c.callId << " ended: session timer expired");
            }
            break;
        case nua_i_error:
            PARLEY_LOG_WARN(log(), "SIP error on dialog " << c.callId << ": " << status << " "
                                                          << str(phrase));
            break;
        default:
            break;
    }
}

void StackCore::onGetParams(tagi_t tags[]) {
    sip_contact_t const* m = nullptr;
    tl_gets(tags, NTATAG_CONTACT_REF(m), TAG_END());
    if (m) {
        advertiseHost_ = config_.advertiseHost.empty() ? str(m->m_url->url_host) : config_.advertiseHost;
        unsigned port = 5060;
        if (m->m_url->url_port && *m->m_url->url_port) {
            auto text = std::string(m->m_url->url_port);
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
            if (ec != std::errc() || port > 65535) port = 0;
        }
        port_ = static_cast<uint16_t>(port);
    }
    gotParams_ = true;
}

void StackCore::onOptions(nua_handle_t* nh) {
    nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), SIPTAG_ACCEPT_STR(kAccept), TAG_END());
    nua_handle_destroy(nh);
}

void StackCore::onIncomingInvite(int status, nua_handle_t* nh, sip_t const* sip) {
    if (DialogRef d = find(nh)) {
        DialogCore& c = d->core();
        c.serverInvitePending = status < 200;
        if (status < 200) handlerFor(c).onReinvite(d, toMessage(sip));
        return;
    }
    if (!nh) return;
    if (status >= 200 || !sip) {  // nua already refused it
        nua_handle_destroy(nh);
        return;
    }
    auto core = std::make_unique<DialogCore>();
    core->stack = this;
    core->nh = nh;
    core->role = DialogRole::Uas;
    core->state = DialogState::Early;
    core->serverInvitePending = true;
    SipMessage msg = toMessage(sip);
    core->callId = msg.callId;
    core->remoteTag = msg.fromTag;
    core->remoteUri = msg.fromUri;
    core->localUri = msg.toUri;
    core->remoteContact = msg.contactUri;
    if (sip->sip_via && sip->sip_via->v_protocol)
        core->tcp = equalsNoCase(sip->sip_via->v_protocol, "SIP/2.0/TCP");
    su_home_t home[1] = {SU_HOME_INIT(home)};
    // The leg's local tag is chosen by nta on arrival; a Replaces header built from the
    // leg is the public way to read it.
    if (sip_replaces_t* rp = nua_handle_make_replaces(nh, home, 0)) core->localTag = str(rp->rp_from_tag);
    su_home_deinit(home);

    auto dialog = std::make_shared<Dialog>(std::move(core));
    nua_handle_bind(nh, dialog.get());
    dialogs_.emplace(nh, dialog);
    handler_.onIncomingInvite(dialog, msg);
}

void StackCore::onInviteResponse(const DialogRef& d, int status, sip_t const* sip) {
    DialogCore& c = d->core();
    SipMessage msg = toMessage(sip);
    if (c.confirmed && !c.clientInvitePending) {
        // A session refresh re-INVITE nua sent by itself (peer without UPDATE). It went out
        // without a body, so a 2xx carries an offer: answer with the session as it stands.
        if (status >= 200 && status < 300)
            nua_ack(c.nh, TAG_IF(!msg.body.empty() && !c.lastLocalSdp.empty(),
                                 SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                    TAG_IF(!msg.body.empty() && !c.lastLocalSdp.empty(),
                           SIPTAG_PAYLOAD_STR(c.lastLocalSdp.c_str())),
                    TAG_END());
        PARLEY_LOG_DEBUG(log(), "SIP session refresh on " << c.callId << ": " << status);
        return;
    }
    if (status >= 200) c.clientInvitePending = false;
    if (!c.confirmed && !msg.toTag.empty() && status > 100 && status < 300) {
        c.remoteTag = msg.toTag;
        if (!msg.contactUri.empty()) c.remoteContact = msg.contactUri;
    }
    if (status >= 200 && status < 300) {
        c.confirmed = true;
        if (c.offerSent) {
            nua_ack(c.nh, TAG_END());
        } else {
            c.ackPending = true;
        }
        if (c.cancelAsked && !c.byeAsked) {
            // Our CANCEL crossed this 2xx (RFC 3261 9.1): the call is up after all, and the
            // application already gave it up: ACK (without an answer when offerless) and BYE.
            if (c.ackPending) {
                nua_ack(c.nh, TAG_END());
                c.ackPending = false;
            }
            nua_bye(c.nh, TAG_END());
            c.state = DialogState::Terminating;
            c.byeAsked = true;
            PARLEY_LOG_INFO(log(), "SIP dialog " << c.callId << ": 2xx after our CANCEL, sent BYE");
            return;
        }
    }
    if (!sip && msg.status == 0) {  // locally generated (timeout, transport error)
        msg.status = status;
    }
    handlerFor(c).onInviteResponse(d, msg);
}

void StackCore::onCallState(const DialogRef& d, int status, char const* phrase, tagi_t tags[]) {
    int cs = -1;
    tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
    if (cs < 0) return;
    DialogState next = fromCallState(cs);
    if (next == DialogState::Terminated) {
        finish(d, status, str(phrase));
        return;
    }
    DialogCore& c = d->core();
    // nua reports "completing" until the application ACKs; keep it while our ack is owed.
    if (c.ackPending && next == DialogState::Ready) next = DialogState::Completing;
    // A re-INVITE walks nua through calling/received/early/completed again; the dialog
    // itself stays confirmed.
    if (c.confirmed && next != DialogState::Terminating && !c.ackPending) next = DialogState::Ready;
    c.state = next;
    if (next == DialogState::Ready && c.role == DialogRole::Uas) c.confirmed = true;
}

void StackCore::finish(const DialogRef& d, int status, const std::string& reason) {
    DialogCore& c = d->core();
    if (c.state == DialogState::Terminated && !c.nh) return;
    nua_handle_t* nh = c.nh;
    finishSubscriptionsOn(nh, "dialog ended");
    dialogs_.erase(nh);
    if (c.updateRequest) {
        msg_destroy(c.updateRequest);
        c.updateRequest = nullptr;
    }
    c.clientUpdatePending = false;
    c.state = DialogState::Terminated;
    c.serverInvitePending = c.clientInvitePending = c.ackPending = false;
    SipHandler& h = handlerFor(c);
    c.nh = nullptr;
    c.stack = nullptr;
    if (nh) {
        nua_handle_bind(nh, nullptr);
        nua_handle_destroy(nh);
    }
    if (c.endStatus != 0)
        h.onTerminated(d, c.endStatus, c.endReason);
    else
        h.onTerminated(d, status, reason);
}

}  // namespace parley::proto::sip::detail
