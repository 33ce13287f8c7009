// ConferenceEvents over real SIP on 127.0.0.1: a SipStack notifier (allowEvents
// {"conference"}) and raw UDP SIP subscribers written here. A subscriber gets the full
// document (version 1), partials with its own growing versions after changes (merged
// within the notify interval), and a last state="deleted" NOTIFY with
// Subscription-State terminated;reason=noresource when the room closes. What each one
// rebuilds by RFC 4575 section 4.6 is the focus's state.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "as/events/conference_events.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_stack.hpp"
#include "tests/unit/as_events/coherent_view.hpp"

using namespace parley;
using namespace parley::as;
namespace ci = parley::proto::confinfo;
namespace psip = parley::proto::sip;
using parley::test::events::canonical;
using parley::test::events::CoherentView;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// One SIP message as text: start line, headers (long or compact names), body.
struct Message {
    std::string startLine;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case long names
    std::string body;

    static std::optional<Message> parse(const std::string& text) {
        auto end = text.find("\r\n\r\n");
        if (end == std::string::npos) return std::nullopt;
        Message m;
        std::size_t pos = text.find("\r\n");
        m.startLine = text.substr(0, pos);
        pos += 2;
        while (pos < end) {
            auto next = text.find("\r\n", pos);
            std::string line = text.substr(pos, next - pos);
            pos = next + 2;
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = lower(trim(line.substr(0, colon)));
            static const std::vector<std::pair<std::string, std::string>> kCompact = {
                {"v", "via"}, {"f", "from"}, {"t", "to"}, {"i", "call-id"}, {"l", "content-length"},
                {"c", "content-type"}, {"m", "contact"}, {"o", "event"}};
            for (const auto& [c, full] : kCompact)
                if (name == c) name = full;
            m.headers.emplace_back(name, trim(line.substr(colon + 1)));
        }
        m.body = text.substr(end + 4);
        return m;
    }
    bool isRequest(const std::string& method) const { return startLine.rfind(method + " ", 0) == 0; }
    int status() const {
        if (startLine.rfind("SIP/2.0 ", 0) != 0) return 0;
        return std::atoi(startLine.c_str() + 8);
    }
    std::string header(const std::string& name) const {
        for (const auto& [n, v] : headers)
            if (n == name) return v;
        return {};
    }
    std::vector<std::string> all(const std::string& name) const {
        std::vector<std::string> out;
        for (const auto& [n, v] : headers)
            if (n == name) out.push_back(v);
        return out;
    }
};

std::string paramOf(const std::string& header, const std::string& name) {
    auto at = header.find(";" + name + "=");
    if (at == std::string::npos) return {};
    auto start = at + name.size() + 2;
    auto stop = header.find_first_of(";>,", start);
    return header.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
}

std::string uriIn(const std::string& header) {
    auto lt = header.find('<');
    auto gt = header.find('>');
    if (lt == std::string::npos || gt == std::string::npos) return header;
    return header.substr(lt + 1, gt - lt - 1);
}

struct Notify {
    std::string subscriptionState;
    std::string contentType;
    std::string body;
    common::TimePoint at;
};

// A SIP subscriber over a plain UDP socket: SUBSCRIBE, 200 to every NOTIFY.
class RawSubscriber {
public:
    RawSubscriber(std::string name, std::uint16_t focusPort) : name_(std::move(name)), focusPort_(focusPort) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        callId_ = name_ + "-" + std::to_string(port_) + "@127.0.0.1";
    }
    ~RawSubscriber() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawSubscriber(const RawSubscriber&) = delete;
    RawSubscriber& operator=(const RawSubscriber&) = delete;

    bool ok() const { return fd_ >= 0 && port_ != 0; }

    void subscribe(const std::string& roomUser, int expires) {
        requestUri_ = "sip:" + roomUser + "@127.0.0.1:" + std::to_string(focusPort_);
        toHeader_ = "<" + requestUri_ + ">";
        sendRequest(expires);
    }
    // In the dialog the 200 made (RFC 6665 section 4.1.2.3: Expires 0 unsubscribes).
    void resubscribe(int expires) {
        if (!dialogTarget_.empty()) requestUri_ = dialogTarget_;
        sendRequest(expires);
    }

    // Reads what arrived; answers NOTIFYs.
    void poll() {
        char buf[65536];
        for (;;) {
            sockaddr_in from{};
            socklen_t len = sizeof from;
            ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) return;
            auto m = Message::parse(std::string(buf, static_cast<std::size_t>(n)));
            if (!m) continue;
            if (m->status() > 0) {
                responses.push_back(m->status());
                if (m->status() >= 200 && m->status() < 300 && dialogTarget_.empty()) {
                    std::string tag = paramOf(m->header("to"), "tag");
                    if (!tag.empty()) toHeader_ = "<" + requestUri_ + ">;tag=" + tag;
                    std::string contact = uriIn(m->header("contact"));
                    if (!contact.empty()) dialogTarget_ = contact;
                }
                continue;
            }
            if (!m->isRequest("NOTIFY")) continue;
            std::string answer = "SIP/2.0 200 OK\r\n";
            for (const auto& via : m->all("via")) answer += "Via: " + via + "\r\n";
            answer += "From: " + m->header("from") + "\r\nTo: " + m->header("to") + "\r\nCall-ID: " +
                      m->header("call-id") + "\r\nCSeq: " + m->header("cseq") + "\r\nContent-Length: 0\r\n\r\n";
            ::sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            notifies.push_back(Notify{m->header("subscription-state"), m->header("content-type"), m->body,
                                      common::Clock::now()});
        }
    }

    std::vector<int> responses;
    std::vector<Notify> notifies;

private:
    void sendRequest(int expires) {
        std::string self = "127.0.0.1:" + std::to_string(port_);
        std::string req = "SUBSCRIBE " + requestUri_ + " SIP/2.0\r\n";
        req += "Via: SIP/2.0/UDP " + self + ";branch=z9hG4bK-" + name_ + std::to_string(cseq_) + ";rport\r\n";
        req += "Max-Forwards: 70\r\n";
        req += "From: <sip:" + name_ + "@" + self + ">;tag=" + name_ + "-tag\r\n";
        req += "To: " + toHeader_ + "\r\n";
        req += "Call-ID: " + callId_ + "\r\n";
        req += "CSeq: " + std::to_string(cseq_++) + " SUBSCRIBE\r\n";
        req += "Contact: <sip:" + name_ + "@" + self + ">\r\n";
        req += "Event: conference\r\n";
        req += "Expires: " + std::to_string(expires) + "\r\n";
        req += "Accept: application/conference-info+xml\r\n";
        req += "Content-Length: 0\r\n\r\n";
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(focusPort_);
        ::sendto(fd_, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }

    std::string name_;
    std::uint16_t focusPort_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string callId_;
    std::string requestUri_;
    std::string toHeader_;
    std::string dialogTarget_;
    int cseq_ = 1;
};

// The focus side: a SipStack whose SUBSCRIBEs for room "r1" go to one ConferenceEvents.
class Focus : public psip::SipHandler {
public:
    explicit Focus(std::chrono::milliseconds interval) {
        psip::SipConfig config;
        config.listen = "127.0.0.1:0";
        config.allowEvents = {"conference"};
        auto made = psip::SipStack::create(loop, config, *this);
        if (!made) FAIL("SipStack::create: " << made.error().message);
        stack = std::move(made.value());
        RoomView room;
        room.uri = "sip:r1@127.0.0.1:" + std::to_string(stack->boundPort());
        room.displayText = "Room 1";
        room.maxUsers = 10;
        events = std::make_unique<ConferenceEvents>(loop, room, interval);
    }
    ~Focus() override {
        events.reset();
        stack->shutdown();
    }

    psip::RequestAnswer onSubscribe(const psip::SubscriptionRef& sub, const psip::SipMessage&) override {
        if (sub->resourceUri().rfind("sip:r1@", 0) != 0) return {404, "No Such Room"};
        events->subscribe(sub);
        return {200, ""};
    }
    void onSubscriptionRefreshed(const psip::SubscriptionRef& sub, const psip::SipMessage&) override {
        events->refreshed(sub);
    }
    void onSubscriptionTerminated(const psip::SubscriptionRef& sub, const std::string& reason) override {
        terminations.push_back(reason);
        if (events) events->forget(sub);
    }
    void onIncomingInvite(const psip::DialogRef& dialog, const psip::SipMessage&) override {
        (void)dialog->respond(488);
    }
    void onTerminated(const psip::DialogRef&, int, const std::string&) override {}

    // Serves SIP and the loop, and the subscribers' sockets, until done() or 10 s.
    bool pump(std::initializer_list<RawSubscriber*> subs, const std::function<bool()>& done) {
        auto deadline = common::Clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (common::Clock::now() >= deadline) return false;
            stack->runOnce(std::chrono::milliseconds(5));
            for (auto* s : subs) s->poll();
        }
        return true;
    }
    // Keeps serving for `d` (to see that nothing more arrives).
    void pumpFor(std::initializer_list<RawSubscriber*> subs, common::Duration d) {
        auto until = common::Clock::now() + d;
        pump(subs, [&] { return common::Clock::now() >= until; });
    }

    common::EventLoop loop;
    std::unique_ptr<psip::SipStack> stack;
    std::unique_ptr<ConferenceEvents> events;
    std::vector<std::string> terminations;
};

ParticipantView person(const std::string& key, const std::string& user) {
    ParticipantView p;
    p.key = key;
    p.entity = "sip:" + user + "@127.0.0.1";
    p.displayText = user;
    p.endpointEntity = "sip:" + user + "@127.0.0.1:5062";
    p.joinedAt = std::chrono::system_clock::now();
    p.roles = {"participant"};
    p.callId = "call-" + key;
    p.fromTag = "ft-" + key;
    p.toTag = "tt-" + key;
    return p;
}

ci::ConferenceInfo parsed(const Notify& n) {
    INFO(n.body);
    auto doc = ci::parse(n.body);
    REQUIRE(doc.ok());
    return *doc;
}

}  // namespace

TEST_CASE("as events: SUBSCRIBE gets the full NOTIFY, a partial after upsert, a last NOTIFY after close",
          "[as][events][sip]") {
    Focus focus(std::chrono::milliseconds(0));
    focus.events->upsert(person("p1", "alice"));
    RawSubscriber watcher("watcher", focus.stack->boundPort());
    REQUIRE(watcher.ok());
    watcher.subscribe("r1", 600);
    REQUIRE(focus.pump({&watcher}, [&] { return watcher.notifies.size() == 1; }));
    CHECK(std::find(watcher.responses.begin(), watcher.responses.end(), 200) != watcher.responses.end());
    CHECK(focus.events->subscriberCount() == 1);
    const Notify& first = watcher.notifies[0];
    CHECK(first.contentType == "application/conference-info+xml");
    CHECK(first.subscriptionState.rfind("active", 0) == 0);
    auto full = parsed(first);
    CHECK(full.state == ci::State::Full);
    CHECK(full.version == 1u);
    REQUIRE(full.users);
    REQUIRE(full.users->users.size() == 1);
    CHECK(full.users->users[0].entity == "sip:alice@127.0.0.1");

    focus.events->upsert(person("p2", "bob"));
    REQUIRE(focus.pump({&watcher}, [&] { return watcher.notifies.size() == 2; }));
    auto partial = parsed(watcher.notifies[1]);
    CHECK(partial.state == ci::State::Partial);
    CHECK(partial.version == 2u);
    REQUIRE(partial.users);
    REQUIRE(partial.users->users.size() == 1);
    CHECK(partial.users->users[0].entity == "sip:bob@127.0.0.1");
    REQUIRE(partial.conferenceState);
    CHECK(partial.conferenceState->userCount == 2u);

    focus.events->remove("p1", ci::DisconnectionMethod::Departed);
    REQUIRE(focus.pump({&watcher}, [&] { return watcher.notifies.size() == 3; }));
    auto left = parsed(watcher.notifies[2]);
    CHECK(left.version == 3u);
    REQUIRE(left.users);
    CHECK(left.users->users.at(0).state == ci::State::Deleted);

    CoherentView view;
    for (const auto& n : watcher.notifies) REQUIRE(view.apply(parsed(n)) == "");
    CHECK(canonical(view.state()) == canonical(focus.events->documents().current()));

    focus.events->close();
    REQUIRE(focus.pump({&watcher}, [&] { return watcher.notifies.size() == 4 && !focus.terminations.empty(); }));
    const Notify& last = watcher.notifies[3];
    CHECK(last.subscriptionState.find("terminated") == 0);
    CHECK(last.subscriptionState.find("reason=noresource") != std::string::npos);
    auto gone = parsed(last);
    CHECK(gone.state == ci::State::Deleted);
    CHECK(gone.version == 4u);
    CHECK_FALSE(gone.users);
    REQUIRE(view.apply(gone) == "");
    CHECK(view.ended());
    CHECK(focus.events->subscriberCount() == 0);
    CHECK(focus.events->notifiesSent() == 4);
    // After close nothing more is published.
    focus.events->upsert(person("p3", "carol"));
    focus.pumpFor({&watcher}, std::chrono::milliseconds(100));
    CHECK(watcher.notifies.size() == 4);
    CHECK(focus.events->notifiesSent() == 4);
}

TEST_CASE("as events: changes within the interval are one NOTIFY; versions are per subscription",
          "[as][events][sip]") {
    const auto interval = std::chrono::milliseconds(300);
    Focus focus(interval);
    RawSubscriber a("alpha", focus.stack->boundPort());
    RawSubscriber b("beta", focus.stack->boundPort());
    RawSubscriber fetcher("fetcher", focus.stack->boundPort());
    REQUIRE(a.ok());
    a.subscribe("r1", 600);
    REQUIRE(focus.pump({&a}, [&] { return a.notifies.size() == 1; }));
    CHECK(parsed(a.notifies[0]).users->users.empty());

    // A burst in one turn of the loop: one NOTIFY.
    focus.events->upsert(person("p1", "alice"));
    focus.events->upsert(person("p2", "bob"));
    focus.events->upsert(person("p3", "carol"));
    REQUIRE(focus.pump({&a}, [&] { return a.notifies.size() == 2; }));
    auto burst = parsed(a.notifies[1]);
    CHECK(burst.version == 2u);
    CHECK(burst.users->users.size() == 3);

    // More changes right after: they wait for the interval and go out together.
    auto alice = person("p1", "alice");
    alice.muted = true;
    focus.events->upsert(alice);
    focus.loop.post([&] { focus.events->upsert(person("p4", "dave")); });
    focus.loop.post([&] { focus.events->remove("p2", ci::DisconnectionMethod::Booted); });
    REQUIRE(focus.pump({&a}, [&] { return a.notifies.size() == 3; }));
    CHECK(a.notifies[2].at - a.notifies[1].at >= interval - std::chrono::milliseconds(50));
    auto merged = parsed(a.notifies[2]);
    CHECK(merged.version == 3u);
    REQUIRE(merged.users);
    CHECK(merged.users->users.size() == 3);  // alice muted, dave new, bob deleted
    CHECK_FALSE(merged.conferenceState);     // one in, one out: the user count stayed 3
    focus.pumpFor({&a}, interval + std::chrono::milliseconds(100));
    CHECK(a.notifies.size() == 3);

    // A second subscriber starts at version 1 with the whole state; a fetch gets the same
    // document and ends.
    b.subscribe("r1", 600);
    fetcher.subscribe("r1", 0);
    REQUIRE(focus.pump({&b, &fetcher}, [&] {
        return b.notifies.size() == 1 && fetcher.notifies.size() == 1 && focus.terminations.size() == 1;
    }));
    auto bFull = parsed(b.notifies[0]);
    CHECK(bFull.version == 1u);
    CHECK(bFull.users->users.size() == 3);
    auto fetched = parsed(fetcher.notifies[0]);
    CHECK(fetched.state == ci::State::Full);
    CHECK(fetched.version == 1u);
    CHECK(fetcher.notifies[0].subscriptionState.find("terminated") == 0);
    CHECK(focus.events->subscriberCount() == 2);

    focus.events->upsert(person("p5", "erin"));
    REQUIRE(focus.pump({&a, &b}, [&] { return a.notifies.size() == 4 && b.notifies.size() == 2; }));
    CHECK(parsed(a.notifies[3]).version == 4u);
    CHECK(parsed(b.notifies[1]).version == 2u);
    CHECK(a.notifies[3].body.substr(a.notifies[3].body.find("<users")) ==
          b.notifies[1].body.substr(b.notifies[1].body.find("<users")));

    for (auto* s : {&a, &b}) {
        REQUIRE(s->notifies.size() >= 2);
        CoherentView view;
        for (const auto& n : s->notifies) REQUIRE(view.apply(parsed(n)) == "");
        CHECK(canonical(view.state()) == canonical(focus.events->documents().current()));
    }

    // a refreshes: it gets the whole state again with its next version (a subscriber that
    // saw a gap refreshes for exactly this, RFC 4575 section 4.6).
    const std::size_t beforeRefresh = a.notifies.size();
    a.resubscribe(600);
    std::optional<ci::ConferenceInfo> refreshedFull;
    REQUIRE(focus.pump({&a}, [&] {
        for (std::size_t i = beforeRefresh; i < a.notifies.size(); ++i) {
            auto doc = ci::parse(a.notifies[i].body);
            if (doc && doc->state == ci::State::Full) refreshedFull = *doc;
        }
        return refreshedFull.has_value();
    }));
    CHECK(refreshedFull->version == 5u);
    CHECK(refreshedFull->users->users.size() == 4);

    // b unsubscribes: the stack ends it, the handler forgets it.
    b.resubscribe(0);
    REQUIRE(focus.pump({&a, &b}, [&] { return focus.terminations.size() == 2; }));
    CHECK(focus.terminations[1] == "unsubscribed");
    CHECK(focus.events->subscriberCount() == 1);

    focus.events->close();
    REQUIRE(focus.pump({&a, &b}, [&] {
        return focus.terminations.size() == 3 && a.notifies.back().subscriptionState.rfind("terminated", 0) == 0;
    }));
    auto gone = parsed(a.notifies.back());
    CHECK(gone.state == ci::State::Deleted);
    CHECK(gone.version == 6u);
    CHECK(a.notifies.back().subscriptionState.find("reason=noresource") != std::string::npos);
    CHECK(focus.events->subscriberCount() == 0);

    // A SUBSCRIBE after the room closed: the deleted document, terminated at once.
    RawSubscriber late("late", focus.stack->boundPort());
    late.subscribe("r1", 600);
    REQUIRE(focus.pump({&late}, [&] { return late.notifies.size() == 1; }));
    CHECK(parsed(late.notifies[0]).state == ci::State::Deleted);
    CHECK(late.notifies[0].subscriptionState.find("terminated") == 0);
    CHECK(focus.events->subscriberCount() == 0);
}
