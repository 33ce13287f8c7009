#include "proto/cfw/message.hpp"

namespace parley::proto::cfw {

namespace {

bool isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isTokenTail(char c) {
    return isAlnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=' || c == '/';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Method Message::methodKind() const { return methodFromName(method); }

Message Message::request(std::string transId, Method method) {
    Message m;
    m.transId = std::move(transId);
    m.method = std::string(methodName(method));
    return m;
}

Message Message::response(std::string transId, int status) {
    Message m;
    m.transId = std::move(transId);
    m.status = status;
    return m;
}

std::string_view methodName(Method m) {
    switch (m) {
        case Method::Control: return "CONTROL";
        case Method::Report: return "REPORT";
        case Method::Sync: return "SYNC";
        case Method::KAlive: return "K-ALIVE";
        case Method::Other: break;
    }
    return {};
}

Method methodFromName(std::string_view name) {
    if (name == "CONTROL") return Method::Control;
    if (name == "REPORT") return Method::Report;
    if (name == "SYNC") return Method::Sync;
    if (name == "K-ALIVE") return Method::KAlive;
    return Method::Other;
}

std::string_view reportStatusName(ReportStatus s) {
    return s == ReportStatus::Update ? "update" : "terminate";
}

std::optional<ReportStatus> reportStatusFromName(std::string_view text) {
    if (equalsIgnoreCase(text, "update")) return ReportStatus::Update;
    if (equalsIgnoreCase(text, "terminate")) return ReportStatus::Terminate;
    return std::nullopt;
}

bool isValidTransId(std::string_view s) {
    if (s.size() < 4 || s.size() > 32 || !isAlnum(s[0])) return false;
    for (char c : s.substr(1)) {
        if (!isTokenTail(c)) return false;
    }
    return true;
}

bool isValidToken(std::string_view s) {
    if (s.empty() || s.size() > 256 || !isAlnum(s[0])) return false;
    for (char c : s.substr(1)) {
        if (!isTokenTail(c)) return false;
    }
    return true;
}

bool isValidMethod(std::string_view s) {
    if (s == "K-ALIVE") return true;
    if (s.empty() || s.size() > 32) return false;
    for (char c : s) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view statusText(int status) {
    switch (status) {
        case 200: return "OK";
        case 202: return "Accepted";
        case 400: return "Syntax error";
        case 403: return "Forbidden";
        case 405: return "Method not allowed";
        case 406: return "Message out of sequence";
        case 420: return "Control-Package not valid for this session";
        case 421: return "Cannot renegotiate packages";
        case 422: return "No common package";
        case 423: return "Duplicate transaction id";
        case 481: return "Transaction or dialog does not exist";
        case 500: return "Request not understood";
        default: break;
    }
    return "Unknown status";
}

}  // namespace parley::proto::cfw
