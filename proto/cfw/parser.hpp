#pragma once
// Incremental, sans-I/O parser of CFW messages (RFC 6230 section 9).
//
// Contract:
// - feed() takes bytes exactly as they arrive, split anywhere (one byte at a time or many
//   messages in one read). next() then returns one parsed Message or one ParseError at a
//   time, and nullopt when it needs more bytes. Call next() until nullopt after every feed().
// - Never throws, never crashes on any input, and keeps going after every error:
//     * a bad header block (start line, header syntax, header value, missing mandatory
//       header) is skipped together with its body when its Content-Length could be read;
//     * a Content-Length over Limits::maxBodyBytes is reported as soon as the header block
//       is read, and that many following bytes are discarded as they arrive, unbuffered;
//     * a header block over Limits::maxHeaderBytes, bytes that do not start with "CFW ", or
//       a header block whose Content-Length is unreadable are skipped up to the next line
//       that starts with "CFW ".
// - Memory: the parser holds at most what was fed and not yet returned by next(), bounded
//   by one header block plus one body within the limits (plus the last feed()).
// - Header names are case-insensitive; any spaces or tabs around the colon are tolerated.
//   Lines may end in CRLF or a bare LF. Blank lines between messages are skipped.
// - Required headers checked here (independent of channel state): CONTROL needs
//   Control-Package; REPORT needs Seq, Status and Timeout; SYNC needs Dialog-ID and
//   Packages; a 202 needs Timeout; a body needs Content-Type. Content-Length may be absent
//   when there is no body.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "proto/cfw/message.hpp"

namespace parley::proto::cfw {

struct Limits {
    std::size_t maxHeaderBytes = 16 * 1024;  // start line + headers + the blank line
    std::size_t maxBodyBytes = 1024 * 1024;
};

enum class ParseErrorKind {
    NotCfw,           // bytes that do not start with "CFW " where a message must begin
    BadStartLine,     // not "CFW" SP trans-id SP (method / 3DIGIT)
    BadTransId,       // trans-id outside the RFC 6230 grammar (4..32 chars)
    BadHeaderLine,    // a header line without a colon or with an invalid name
    BadHeaderValue,   // a known header whose value is malformed
    DuplicateHeader,  // a known header given twice
    MissingHeader,    // a header mandatory for this kind of message is absent
    HeaderTooLarge,   // the header block exceeds Limits::maxHeaderBytes
    BodyTooLarge,     // Content-Length exceeds Limits::maxBodyBytes
};

std::string_view parseErrorKindName(ParseErrorKind k);

struct ParseError {
    ParseErrorKind kind = ParseErrorKind::NotCfw;
    std::string reason;
    std::string transId;  // empty unless a valid trans-id could be read
    std::string method;   // the request method when the start line could be read
    int status = 0;       // the response status when the start line could be read

    // True when the bytes were a request whose trans-id is known: it deserves a 400.
    bool answerable() const { return !transId.empty() && !method.empty(); }
};

using ParseEvent = std::variant<Message, ParseError>;

class Parser {
public:
    explicit Parser(Limits limits = {});

    void feed(std::string_view bytes);
    std::optional<ParseEvent> next();

    std::size_t bufferedBytes() const { return buffer_.size() - pos_; }
    std::uint64_t discardPending() const { return discardLeft_; }
    const Limits& limits() const { return limits_; }

private:
    enum class State { Start, Headers, Body, DiscardBody, Garbage };

    std::optional<ParseEvent> finishBlock(std::string_view block);
    void compact();

    Limits limits_;
    std::string buffer_;
    std::size_t pos_ = 0;      // first unconsumed byte of buffer_
    std::size_t scan_ = 0;     // Headers: offset from pos_ of the next line to examine
    std::size_t searched_ = 0; // Headers: offset from pos_ up to which no LF was found
    State state_ = State::Start;
    std::uint64_t discardLeft_ = 0;  // DiscardBody: bytes still to drop
    std::size_t bodyLength_ = 0;     // Body: size of the awaited body
    Message pending_;                // Body: the message whose body is awaited
};

}  // namespace parley::proto::cfw
