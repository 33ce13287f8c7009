#pragma once
// One Media Control Channel Framework message (RFC 6230 section 9), as typed fields.
//
// Contract:
// - A Message is plain data. A request has a non-empty `method` ("CONTROL", "REPORT", "SYNC",
//   "K-ALIVE" or any other 1*UPALPHA word) and status 0; a response has an empty `method` and
//   a three-digit `status`.
// - The framework headers that Parley understands are typed fields; every other header is
//   kept, in arrival order, in `extensions` (RFC 6230 section 11: unknown headers are ignored,
//   but they survive a parse/write round trip).
// - Content-Length is not a field: it is always the size of `body`.
// - The checks below (isValidTransId...) are the grammar of RFC 6230 section 9.1; the parser
//   applies them to input and the channel to the identifiers it generates.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::proto::cfw {

enum class Method { Control, Report, Sync, KAlive, Other };

enum class ReportStatus { Update, Terminate };

// The RFC 6230 Transaction-Timeout; a client waits twice this before giving up.
inline constexpr std::uint32_t kTransactionTimeoutSeconds = 10;

struct ExtensionHeader {
    std::string name;
    std::string value;
    bool operator==(const ExtensionHeader&) const = default;
};

struct Message {
    std::string transId;
    std::string method;  // requests only
    int status = 0;      // responses only

    std::optional<std::string> controlPackage;
    std::optional<std::string> dialogId;
    std::optional<std::uint32_t> seq;
    std::optional<ReportStatus> reportStatus;  // the "Status" header of a REPORT
    std::optional<std::uint32_t> timeout;
    std::optional<std::uint32_t> keepAlive;
    std::optional<std::vector<std::string>> packages;
    std::optional<std::vector<std::string>> supported;
    std::optional<std::string> contentType;
    std::vector<ExtensionHeader> extensions;
    std::string body;

    bool isRequest() const { return !method.empty(); }
    bool isResponse() const { return method.empty(); }
    Method methodKind() const;

    static Message request(std::string transId, Method method);
    static Message response(std::string transId, int status);

    bool operator==(const Message&) const = default;
};

// "CONTROL", "REPORT", "SYNC", "K-ALIVE"; Other has no single name (empty view).
std::string_view methodName(Method m);
Method methodFromName(std::string_view name);

std::string_view reportStatusName(ReportStatus s);  // "update" | "terminate"
std::optional<ReportStatus> reportStatusFromName(std::string_view text);  // case-insensitive

// trans-id = ALPHANUM 3*31(ALPHANUM / "." / "-" / "+" / "%" / "=" / "/")  (4..32 chars)
bool isValidTransId(std::string_view s);
// A package name, Control-Package value or Dialog-ID: ALPHANUM followed by alpha-num-token
// characters (the RFC's 4-char minimum is not enforced for these: SDP cfw-ids are tokens).
bool isValidToken(std::string_view s);
// other-method = 1*UPALPHA, or the one method with a dash, K-ALIVE.
bool isValidMethod(std::string_view s);

bool equalsIgnoreCase(std::string_view a, std::string_view b);

// Human-readable reason phrase of a framework status code (for logs and docs; never sent).
std::string_view statusText(int status);

}  // namespace parley::proto::cfw
