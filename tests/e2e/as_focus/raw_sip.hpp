#pragma once
// A raw SIP client for end-to-end tests of parley-as: SIP text written by hand and sent over
// a UDP socket on 127.0.0.1 (or once over TCP), so tests can say exactly what goes on the
// wire (SUBSCRIBE, REFER, OPTIONS, and malformed or abusive input), independent of
// proto/sip. No transaction layer: no retransmissions, no timers.
//
//   RawSipClient c;                                     // binds 127.0.0.1:0
//   auto req = c.request("SUBSCRIBE", "sip:r1@127.0.0.1:5060", {"Event: conference"});
//   c.send(asPort, req.text);
//   auto ok = c.waitResponse(req.callId, "SUBSCRIBE", 5s);
//   auto notify = c.waitRequest("NOTIFY", 5s);          // answered 200 automatically
//
// Incoming requests (NOTIFY, BYE, OPTIONS, INFO, UPDATE, ...) are answered 200 OK as they
// are read, except INVITE (481, this client holds no sessions) and ACK (nothing). Every
// wait is bounded; received messages stay queued until a wait takes them.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::test::focus {

struct SipText {
    bool isResponse = false;
    int status = 0;          // responses
    std::string reason;      // responses
    std::string method;      // requests
    std::string requestUri;  // requests
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    std::string body;
    std::string raw;

    // First value of a header (case-insensitive; compact forms i f t v m c l e k o r s x
    // u b accepted both ways); "" when absent.
    std::string header(std::string_view name) const;
    // The CSeq method ("INVITE" in "CSeq: 1 INVITE").
    std::string cseqMethod() const;
    // The tag parameter of To/From ("" when none).
    std::string toTag() const;
};

// Parses one message (start line, headers up to the blank line, body by Content-Length or
// the rest). nullopt when the start line is not SIP.
std::optional<SipText> parseSipText(std::string_view text);

class RawSipClient {
  public:
    RawSipClient();  // throws std::runtime_error when no socket can be bound
    ~RawSipClient();
    RawSipClient(const RawSipClient&) = delete;
    RawSipClient& operator=(const RawSipClient&) = delete;

    std::uint16_t port() const { return port_; }
    std::string contact() const;  // <sip:raw@127.0.0.1:PORT>

    struct Request {
        std::string text;
        std::string callId;
        std::string fromTag;
        std::string branch;
    };
    // A request from this client: Via with a fresh branch, From with a fresh tag (or the
    // given one), To = the Request-URI (plus `toTag`), Call-ID (fresh when empty), CSeq,
    // Contact, Max-Forwards, the extra header lines, then the body with Content-Type and
    // Content-Length.
    Request request(const std::string& method, const std::string& requestUri,
                    const std::vector<std::string>& extraHeaders = {}, const std::string& body = {},
                    const std::string& contentType = {}, std::uint32_t cseq = 1,
                    std::string callId = {}, std::string fromTag = {},
                    const std::string& toTag = {});

    // Sends one UDP datagram to 127.0.0.1:port (any bytes, even not SIP).
    bool send(std::uint16_t port, std::string_view bytes);

    // Waits for a response to (callId, CSeq method) with status >= minStatus.
    std::optional<SipText> waitResponse(const std::string& callId, const std::string& method,
                                        std::chrono::milliseconds timeout, int minStatus = 200);
    // Waits for a request of `method` (already answered when it needs an answer); with
    // `pred` only one that satisfies it.
    std::optional<SipText> waitRequest(const std::string& method, std::chrono::milliseconds timeout,
                                       const std::function<bool(const SipText&)>& pred = {});
    // Reads whatever arrives for `duration` (answering requests), keeping it queued.
    void pump(std::chrono::milliseconds duration);
    // Drops everything queued (after a flood).
    void clear() { queue_.clear(); }
    std::size_t received() const { return received_; }

  private:
    bool readOne(std::chrono::milliseconds timeout);  // false: nothing within timeout
    void answer(const SipText& request, std::uint16_t toPort);

    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::deque<SipText> queue_;
    std::size_t received_ = 0;
    std::uint64_t counter_ = 0;
};

// Opens a TCP connection to 127.0.0.1:port, writes all of `bytes`, reads for up to
// `readFor` and returns what came back ("" when nothing or the connection failed).
std::string tcpExchange(std::uint16_t port, std::string_view bytes,
                        std::chrono::milliseconds readFor);

}  // namespace parley::test::focus
