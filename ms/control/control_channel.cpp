#include "ms/control/control_channel.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;
using common::Clock;
using common::EventLoop;

namespace {
Poco::Logger& log() {
    return common::logger("ms.cfw");
}
}  // namespace

ControlChannel::ControlChannel(ChannelId id, common::Fd fd, common::SocketAddress peer,
                               EventLoop& loop, ChannelOwner& owner, cfw::ChannelConfig config,
                               ControlChannelLimits limits)
    : id_(id),
      fd_(std::move(fd)),
      peer_(std::move(peer)),
      loop_(loop),
      owner_(owner),
      limits_(limits),
      channel_(std::move(config), *this) {}

ControlChannel::~ControlChannel() {
    resources_.releaseAll();
    channel_.close("connection object destroyed");
    if (timer_) loop_.cancelTimer(timer_);
    if (watching_ && fd_) loop_.unwatch(fd_.get());
}

common::Status ControlChannel::start() {
    auto st = loop_.watch(fd_.get(), EventLoop::kReadable, [this](std::uint32_t ev) { onIo(ev); });
    if (!st) return st;
    watching_ = true;
    watchedEvents_ = EventLoop::kReadable;
    Batch batch(*this);
    channel_.start(Clock::now());
    return {};
}

void ControlChannel::end(const std::string& why, bool hangUp) {
    if (ending_ || finished_) return;
    Batch batch(*this);
    ending_ = true;
    lingerUntil_ = Clock::now() + limits_.linger;
    channel_.close(why);
    std::size_t freed = resources_.releaseAll();
    PARLEY_LOG_INFO(log(),
                    "cfw connection #"
                        << id_ << " from " << peer_.toString() << " closing: " << why
                        << (freed ? " (" + std::to_string(freed) + " resources freed)" : ""));
    owner_.channelEnding(*this, why, hangUp && !dialogKey_.empty());
}

// --- I/O ---------------------------------------------------------------------------------

void ControlChannel::onIo(std::uint32_t events) {
    if (finished_) return;
    Batch batch(*this);
    if (events & EventLoop::kWritable) flush();
    if (finished_) return;
    if (events & (EventLoop::kReadable | EventLoop::kHangup))
        readSome((events & EventLoop::kHangup) != 0);
}

void ControlChannel::readSome(bool evenIfPaused) {
    readBuffer_.resize(limits_.readChunk);
    for (int i = 0; i < limits_.readsPerEvent && !finished_ && !peerClosed_; ++i) {
        if (!ending_ && !evenIfPaused && unsentBytes() > limits_.readPauseAbove) return;
        ssize_t n = ::read(fd_.get(), readBuffer_.data(), readBuffer_.size());
        if (n > 0) {
            if (!ending_) {
                channel_.onBytes(std::string_view(readBuffer_.data(), static_cast<std::size_t>(n)),
                                 Clock::now());
                flush();
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        std::string why = n == 0 ? "peer closed the connection"
                                 : std::string("connection broken: ") + std::strerror(errno);
        peerClosed_ = true;
        if (!ending_) end(why, true);
        return;
    }
}

void ControlChannel::flush() {
    while (unsentBytes() > 0 && !writeShut_ && !finished_) {
        ssize_t n = ::send(fd_.get(), out_.data() + outPos_, unsentBytes(), MSG_NOSIGNAL);
        if (n > 0) {
            outPos_ += static_cast<std::size_t>(n);
            lastWriteProgress_ = Clock::now();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        std::string why = std::string("write failed: ") + std::strerror(n < 0 ? errno : EPIPE);
        out_.clear();
        outPos_ = 0;
        writeShut_ = true;
        peerClosed_ = true;
        if (!ending_) end(why, true);
        break;
    }
    if (outPos_ == out_.size()) {
        out_.clear();
        outPos_ = 0;
    } else if (outPos_ > (64u << 10) && outPos_ > out_.size() / 2) {
        out_.erase(0, outPos_);
        outPos_ = 0;
    }
}

void ControlChannel::settle() {
    if (finished_) return;
    flush();
    if (finished_) return;
    if (ending_) {
        if (!writeShut_ && unsentBytes() == 0) {
            ::shutdown(fd_.get(), SHUT_WR);
            writeShut_ = true;
        }
        if (writeShut_ && peerClosed_) {
            finish();
            return;
        }
    }
    updateWatch();
    rearm();
}

void ControlChannel::finish() {
    if (finished_) return;
    finished_ = true;
    if (timer_) loop_.cancelTimer(timer_);
    timer_ = 0;
    timerAt_.reset();
    if (watching_) loop_.unwatch(fd_.get());
    watching_ = false;
    fd_.reset();
    owner_.channelFinished(id_);
}

void ControlChannel::updateWatch() {
    if (!watching_ || finished_) return;
    std::uint32_t want = 0;
    if (ending_ || unsentBytes() <= limits_.readPauseAbove) want |= EventLoop::kReadable;
    if (unsentBytes() > 0 && !writeShut_) want |= EventLoop::kWritable;
    if (want == watchedEvents_) return;
    if (auto st = loop_.modify(fd_.get(), want); !st) {
        PARLEY_LOG_ERROR(log(), "cfw connection #" << id_ << ": " << st.error().message);
        return;
    }
    watchedEvents_ = want;
}

void ControlChannel::rearm() {
    std::optional<common::TimePoint> next = channel_.nextDeadline();
    auto consider = [&](std::optional<common::TimePoint> tp) {
        if (tp && (!next || *tp < *next)) next = tp;
    };
    consider(lingerUntil_);
    if (unsentBytes() > 0 && !ending_) consider(lastWriteProgress_ + limits_.writeStall);
    if (next == timerAt_) return;
    if (timer_) loop_.cancelTimer(timer_);
    timer_ = 0;
    timerAt_ = next;
    if (next) timer_ = loop_.addTimerAt(*next, [this] { onTimer(); });
}

void ControlChannel::onTimer() {
    timer_ = 0;
    timerAt_.reset();
    if (finished_) return;
    Batch batch(*this);
    auto now = Clock::now();
    if (lingerUntil_ && now >= *lingerUntil_) {
        finish();
        return;
    }
    if (!ending_ && unsentBytes() > 0 && now - lastWriteProgress_ >= limits_.writeStall) {
        end("the peer does not read what is sent to it", true);
        return;
    }
    channel_.onTick(now);
}

// --- cfw::ChannelHandler -------------------------------------------------------------------

void ControlChannel::sendBytes(std::string_view bytes) {
    if (finished_ || writeShut_) return;
    if (unsentBytes() + bytes.size() > limits_.maxWriteBuffer) {
        end("output buffer full: the peer does not read what is sent to it", true);
        return;
    }
    if (unsentBytes() == 0) lastWriteProgress_ = Clock::now();
    out_.append(bytes);
    if (batchDepth_ == 0) settle();
}

void ControlChannel::onClosed(const cfw::CloseInfo& info) {
    end(std::string(cfw::closeReasonName(info.reason)) + ": " + info.detail, true);
}

void ControlChannel::onUp(const std::vector<std::string>& packages) {
    (void)packages;
    owner_.channelUp(*this);
}

bool ControlChannel::acceptDialogId(std::string_view dialogId) {
    if (ending_) return false;
    auto key = owner_.claimDialog(id_, dialogId);
    if (!key) {
        PARLEY_LOG_INFO(log(),
                        "cfw connection #" << id_ << " SYNC refused: " << key.error().message);
        return false;
    }
    dialogKey_ = *key;
    return true;
}

void ControlChannel::onControl(const cfw::IncomingControl& request) {
    PackageHandler* handler = owner_.packageFor(request.package);
    if (!handler) {
        (void)channel_.respond(request.transId, 420, Clock::now());
        return;
    }
    handler->onControl(request, *this);
}

// --- ControlContext ------------------------------------------------------------------------

common::Status ControlChannel::respond(std::string_view transId, int status,
                                       std::string_view contentType, std::string_view body) {
    Batch batch(*this);
    return channel_.respond(transId, status, Clock::now(), contentType, body);
}

common::Status ControlChannel::accept(std::string_view transId, std::uint32_t timeoutSeconds) {
    Batch batch(*this);
    return channel_.accept(transId, timeoutSeconds, Clock::now());
}

common::Status ControlChannel::report(std::string_view transId, cfw::ReportStatus status,
                                      std::string_view contentType, std::string_view body) {
    Batch batch(*this);
    return channel_.report(transId, status, Clock::now(), contentType, body);
}

common::Result<std::string> ControlChannel::sendEvent(cfw::OutgoingControl event) {
    Batch batch(*this);
    ChannelId id = id_;
    return channel_.sendEvent(std::move(event), Clock::now(), [id](const cfw::ControlResult& r) {
        if (!r.ok()) {
            PARLEY_LOG_INFO(log(), "cfw connection #" << id << " event not acknowledged ("
                                                      << cfw::controlOutcomeName(r.outcome)
                                                      << "): " << r.reason);
        }
    });
}

}  // namespace parley::ms
