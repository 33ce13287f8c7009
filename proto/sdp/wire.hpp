#pragma once
// SDP text <-> Session, through sofia-sip's own parser and printer (<sofia-sip/sdp.h>).
// This file's .cpp is the only place in parley that includes sofia-sip's SDP header.
//
// Contract:
// - parse() never throws and never crashes on any input; bad input gives
//   Error{kBadSdp (400), reason}. Inputs larger than kMaxSdpBytes or holding a NUL byte are
//   refused before sofia-sip sees them.
// - Parsing policy: sofia-sip runs without sdp_f_strict (tolerant of stray whitespace, of
//   a=rtpmap/a=fmtp naming payload types absent from the m= line, which it drops, and of
//   any CR/LF/CRLF line ends) and with sdp_f_mode_manual (direction attributes are left to
//   us, so a=sendonly on a rejected m-line is not lost). Its sanity check stays on: v=0
//   first, an o= line, and a c= at session level or on every active m= line. On top of
//   that parse() requires the s= and t= lines RFC 4566 makes mandatory, at least one
//   format per m= line, a non-empty address on o= and c= lines, and ports that fit 16 bits.
// - The installed sofia-sip (1.12.11) hangs or over-reads on some m= lines and on a short
//   last line, so before it sees the body: an m= line may hold only token characters,
//   blanks and '/' right after a token character (else 400), its trailing blanks are
//   dropped, and a final CRLF is added when missing.
// - print() writes canonical SDP with CRLF line ends: lines in RFC 4566 order; per m= line
//   a=rtpmap (static payload types too) and a=fmtp in format order, then ptime, crypto,
//   connection, setup, cfw-id, label, the direction when it differs from the session's,
//   then the other attributes. Text is made printable first: CR, LF and NUL are removed,
//   token fields keep only token characters (an empty token prints as "-"), so a field can
//   never inject an SDP line; an attribute value starting with ':' is written behind a
//   blank (sofia-sip skips the colons after a name). Throws only std::bad_alloc.
// - For every s returned by parse(): parse(print(s)) == s.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "proto/sdp/session.hpp"

namespace parley::proto::sdp {

inline constexpr std::size_t kMaxSdpBytes = 128 * 1024;

common::Result<Session> parse(std::string_view text);

std::string print(const Session& session);

}  // namespace parley::proto::sdp
