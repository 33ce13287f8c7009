#pragma once
// Plain values of the SIP layer: stack configuration, what the application sees of a SIP
// message, and what it gives to start an outgoing INVITE. No sofia-sip type appears here.
//
// Contracts:
// - SipMessage is a copy: it stays valid after the callback that delivered it returns.
// - Header names and values given by the application (InviteRequest::headers, the
//   `headers` arguments of Dialog) must not contain CR or LF, and names must be SIP tokens;
//   otherwise the call fails with Error{400} and nothing is sent.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace parley::proto::sip {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SipConfig {
    // Where to listen, "host:port" or "[v6]:port". UDP and TCP bind the same port; port 0
    // picks a free one (SipStack::boundPort() says which).
    std::string listen = "127.0.0.1:5070";
    // Host written in Contact and Via instead of the listen host (NAT, 0.0.0.0 binds).
    std::string advertiseHost;
    std::string userAgent = "Parley/0.1";
    // User part of the default From and of the Contact, e.g. "parley".
    std::string user = "parley";
    // shutdown(): how long to wait for sofia to end its dialogs and transactions.
    std::chrono::milliseconds shutdownTimeout{2000};
};

// One SIP request or response as the application sees it.
struct SipMessage {
    std::string method;      // requests: "INVITE", "ACK", "BYE"...; empty for responses
    int status = 0;          // responses: 100..699; 0 for requests
    std::string reason;      // responses: reason phrase
    std::string requestUri;  // requests only
    std::string fromUri, fromTag, fromDisplay;
    std::string toUri, toTag;
    std::string callId;
    std::string contactUri;  // first Contact, empty when absent
    std::string contentType; // "application/sdp" (no parameters); empty without a body
    std::string body;
    HeaderList otherHeaders; // headers the parser keeps as unknown (X-..., P-...), in order

    // First value of an entry in otherHeaders, case-insensitive; empty when absent.
    std::string header(std::string_view name) const;
};

// An outgoing INVITE that creates a dialog.
struct InviteRequest {
    std::string to;          // To URI, e.g. "sip:conf1@127.0.0.1:5080" (required)
    std::string requestUri;  // empty: same as `to`
    std::string from;        // From URI; empty: sip:<config.user>@<advertised host>
    std::string body;        // empty: offerless INVITE (the offer comes in the 2xx)
    std::string contentType = "application/sdp";
    HeaderList headers;      // extra headers
};

// Checks names and values and renders "Name: value\r\n" lines.
common::Result<std::string> renderHeaders(const HeaderList& headers);

}  // namespace parley::proto::sip
