#pragma once
// msc-mixer/1.0 bodies <-> typed messages.
//
// parse() reads one <mscmixer version="1.0" xmlns="urn:ietf:params:xml:ns:msc-mixer">
// document with exactly one child and returns the typed message, or Error{status, reason}
// with an RFC 6505 package status:
//   400  not well-formed XML, DOCTYPE, size/depth/count limits (from proto/xml), anything the
//        schema refuses (unknown or misplaced element, missing or unknown attribute, bad
//        enumeration or number, children out of schema order or repeated) and the rules the
//        RFC text adds to the schema (modifyconference needs a child, modifyjoin a stream,
//        video-layouts 1+ with distinct min-participants, active-talker exactly one of
//        connectionid/conferenceid, setgain a signed dB number, setstate mute/unmute,
//        empty identifiers).
//   428  (Leniency::strict only) an attribute or element from a foreign namespace that the
//        package does not support. Parley supports no foreign extension, with three
//        exceptions that are never refused: xml:* and xsi:* attributes (ignored), a foreign
//        element as the layout of <video-layout> and a foreign element as the policy of
//        <video-switch>. Those two are the extension points RFC 6505 itself names; they
//        are returned as ForeignElement so the MS can answer 423/424 as the RFC says.
//        A foreign child of <subscribe> is a foreign subscription: 428 (RFC 6505 4.2.1.4.4).
// Leniency::tolerant is for an AS reading what an MS sends: foreign content is skipped,
// and an active-talker naming both or neither id is dropped (RFC 6505 4.2.4.1.1 says it
// describes no talker). Everything else is checked as in strict mode.
//
// The root's desclang is folded into the desclang of response, auditresponse,
// unjoin-notify and conferenceexit when they carry none (that is what it means).
//
// serialize() writes the message as the only child of a fresh root, indented like the RFC
// examples; it emits attributes that differ from their defaults (direction always), and
// children in schema order. A message that parse() returned serializes to a document
// that parse() reads back equal and that the package schema accepts (modifyconference
// without <subscribe> excepted: the stock RFC 6505 schema wrongly requires it).
//
// Sizes: everything is bounded by xml::Limits (bytes, depth, element count, attributes),
// which ParseOptions carries.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "proto/packages/mixer/mixer_messages.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::mixer {

enum class Leniency { strict, tolerant };

struct ParseOptions {
    Leniency leniency = Leniency::strict;
    xml::Limits limits{};
};

// parse() with the layer that refused the body: an MS answers a body that is not XML at
// all with a framework 400 and everything else with a package <response status=...>.
struct Decoded {
    common::Result<Message> message;
    bool wellFormed = false;  // the XML layer accepted the document
};

Decoded decode(std::string_view body, const ParseOptions& options = {});

common::Result<Message> parse(std::string_view body, const ParseOptions& options = {});

std::string serialize(const Message& message);

// A setgain value as serialize() writes it: shortest fixed notation, '+' on positive gains
// ("+3", "-2.5", "0").
std::string formatGainDb(double db);

}  // namespace parley::proto::mixer
