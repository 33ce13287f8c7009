#pragma once
// The CFW messages of RFC 7058, read at run time from ../shared/spec/rfc7058.txt.
//
// Each message is the text under a heading such as "A1. AS -> MS (CFW CONTROL, record)",
// with the RFC's page breaks removed and its line folding undone (RFC 7058 section 2: a
// backslash at the end of a line, the whitespace around it and the line break are not part
// of the message). Bodies lose the 6-space indentation of the document; since the XML
// indentation differs from the original bytes, wire() recomputes Content-Length.

#include <optional>
#include <string>
#include <vector>

namespace parley::test::cfw {

struct RfcVector {
    std::string heading;                  // e.g. "A1. AS -> MS (CFW CONTROL, record)"
    std::string startLine;                // "CFW 796d83aa1ce4 CONTROL"
    std::vector<std::string> headerLines; // as printed, e.g. "Content-Length: 265"
    std::string body;                     // lines joined with CRLF, no trailing CRLF

    // The message on the wire: CRLF line ends, Content-Length set to the body's real size.
    std::string wire() const;
    // The header lines with Content-Length set to the body's real size.
    std::vector<std::string> correctedHeaderLines() const;
};

// nullopt when the spec folder is absent.
std::optional<std::vector<RfcVector>> loadRfc7058Vectors();

}  // namespace parley::test::cfw
