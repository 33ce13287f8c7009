#pragma once
// msc-ivr/1.0 bodies <-> typed messages.
//
// parse() reads a whole <mscivr> document (any bytes; never throws, never crashes) and
// returns the message or Error{status, reason} with the package status to answer with:
//   400  not well-formed XML, DOCTYPE, over the size/depth limits, wrong root or version,
//        unknown msc-ivr element or attribute, missing required attribute, malformed
//        value (time designation, percentage, boolean, integer, DTMF, enumeration,
//        language, dateTime, status), duplicate child, text where none is allowed, and the
//        rules of RFC 6231 that the schema cannot express:
//          dialogprepare: not both src and <dialog>, and one of them;
//          dialogstart: exactly one of src / prepareddialogid / <dialog>, not both
//            prepareddialogid and dialogid, exactly one of connectionid / conferenceid;
//          <dialog> with none of prompt/control/collect/record; empty prompt/par/seq;
//          DTMF level outside 0..-96; maxdigits 0; <grammar> needs src or inline content,
//            not both; <event> without a notification; <capabilities> missing a part.
//   413  a <control> maps one DTMF key to two operations (pausekey = resumekey allowed).
//   431  foreign-namespace content the caller does not support: with
//        ForeignPolicy::Reject (what a media server without extensions uses on requests)
//        any attribute or element from another namespace (xml:* attributes excepted; an
//        inline grammar is content, not an extension); with either policy, a document
//        whose only message is from a foreign namespace.
// Everything that depends on media-server state or capabilities (unknown ids, 421 for an
// external dialog language, 420 URI schemes, 424 grammar formats...) is left to the caller:
// the values are all in the structs.
//
// Children of <dialog> (and of the other msc-ivr elements) are accepted in any order;
// serialize() writes them in schema order, so its output validates against mscivr.xsd.
// serialize() writes <mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"> with
// exactly one child, indented like the RFC examples.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::ivr {

enum class ForeignPolicy {
    Keep,    // keep foreign content in `ext` members; serialize() writes it back
    Reject,  // answer 431 at the first foreign attribute or element
};

struct ParseOptions {
    ForeignPolicy foreign = ForeignPolicy::Keep;
    xml::Limits limits{};  // 1 MiB, depth 32, ... (proto/xml/xml.hpp)
};

common::Result<Document> parseDocument(std::string_view body, const ParseOptions& options = {});
common::Result<Message> parse(std::string_view body, const ParseOptions& options = {});

std::string serialize(const Document& doc);
std::string serialize(const Message& message);

}  // namespace parley::proto::ivr
