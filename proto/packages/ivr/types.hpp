#pragma once
// msc-ivr/1.0 (RFC 6231) value types: the lexical types of RFC 6231 section 4.6, the
// enumerations of the schema, and a holder for content from foreign namespaces.
//
// Contract:
// - The parse* functions accept exactly the lexical forms of the RFC and schema and return
//   nullopt otherwise; they never throw. Integers that do not fit the C++ type are refused
//   (the RFC only recommends 32-bit support).
// - Time designations become milliseconds, rounded to the nearest millisecond
//   ("850ms", ".5s" -> 500 ms, "+1.5s" -> 1500 ms, "0.0004s" -> 0 ms).
// - format* functions produce the canonical form that parse* reads back to the same value.
// - Extensions holds foreign-namespace attributes and elements kept by the parser
//   (ForeignPolicy::Keep) and written back by the serializer; two Extensions compare equal
//   when their trees are equal (attribute order and surrounding whitespace ignored).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/xml/xml.hpp"

namespace parley::proto::ivr {

inline constexpr std::string_view kNamespace = "urn:ietf:params:xml:ns:msc-ivr";
inline constexpr std::string_view kVersion = "1.0";
inline constexpr std::string_view kPackageName = "msc-ivr/1.0";
inline constexpr std::string_view kMimeType = "application/msc-ivr+xml";
inline constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kFrameworkNamespace =
    "urn:ietf:params:xml:ns:control:framework-attributes";
inline constexpr std::string_view kSrgsNamespace = "http://www.w3.org/2001/06/grammar";
inline constexpr std::string_view kSrgsMimeType = "application/srgs+xml";

using Milliseconds = std::chrono::milliseconds;

// ------------------------------------------------------------------ lexical types (4.6)

// Time designation: (\+)?([0-9]*\.)?[0-9]+(ms|s).
std::optional<Milliseconds> parseTimeDesignation(std::string_view s);
// "850ms", or "2s" when a whole number of seconds.
std::string formatTimeDesignation(Milliseconds ms);

// Percentage: [0-9]+% (value must fit in 32 bits).
std::optional<std::uint32_t> parsePercentage(std::string_view s);
std::string formatPercentage(std::uint32_t percent);

// xsd:boolean: true, false, 1, 0 (surrounding XML whitespace allowed, as the schema does).
std::optional<bool> parseBoolean(std::string_view s);
inline std::string_view formatBoolean(bool b) {
    return b ? "true" : "false";
}

// xsd:nonNegativeInteger / positiveInteger / integer (optional sign, surrounding whitespace).
std::optional<std::uint64_t> parseNonNegativeInteger(std::string_view s);
std::optional<std::int64_t> parseInteger(std::string_view s);

// DTMFChar [0-9#*A-D] and DTMFString (one or more DTMFChar, no spaces).
bool isDtmfChar(char c);
std::optional<char> parseDtmfChar(std::string_view s);
bool isDtmfString(std::string_view s);

// xsd:language ([a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*).
bool isLanguage(std::string_view s);

// xsd:dateTime lexical form: -?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?
bool isDateTime(std::string_view s);
// UTC timestamp in xsd:dateTime form, with milliseconds when not zero
// ("2008-05-12T12:13:14Z", "2008-05-12T12:13:14.250Z").
std::string formatDateTime(std::chrono::system_clock::time_point t);

// ------------------------------------------------------------------ enumerations

enum class MatchMode { All, Collect, Control };
enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };
enum class EndSync { Last, First };
enum class Gender { Male, Female };
enum class PromptTermMode { Completed, Bargein, Stopped };
enum class CollectTermMode { Match, NoInput, NoMatch, Stopped };
enum class RecordTermMode { NoInput, Dtmf, MaxTime, FinalSilence, Stopped };
enum class DialogState { Preparing, Prepared, Starting, Started };

std::string_view toString(MatchMode v);
std::string_view toString(Direction v);
std::string_view toString(EndSync v);
std::string_view toString(Gender v);
std::string_view toString(PromptTermMode v);
std::string_view toString(CollectTermMode v);
std::string_view toString(RecordTermMode v);
std::string_view toString(DialogState v);

// Parse an enumeration value (surrounding XML whitespace allowed, NMTOKEN-style).
bool fromString(std::string_view s, MatchMode& out);
bool fromString(std::string_view s, Direction& out);
bool fromString(std::string_view s, EndSync& out);
bool fromString(std::string_view s, Gender& out);
bool fromString(std::string_view s, PromptTermMode& out);
bool fromString(std::string_view s, CollectTermMode& out);
bool fromString(std::string_view s, RecordTermMode& out);
bool fromString(std::string_view s, DialogState& out);

// ------------------------------------------------------------------ foreign content

// One element subtree kept as parsed (a foreign extension element, an inline grammar).
struct Subtree {
    xml::Element element;
    friend bool operator==(const Subtree& a, const Subtree& b);
};

// Structural comparison: names, namespaces, attributes (any order), children in order,
// text with surrounding whitespace ignored; line numbers ignored.
bool sameTree(const xml::Element& a, const xml::Element& b);

// Attributes and child elements from namespaces other than msc-ivr that the schema lets
// through on an element. xml:* attributes that the element does not define also land here.
struct Extensions {
    std::vector<xml::Attribute> attributes;
    std::vector<Subtree> elements;

    bool empty() const { return attributes.empty() && elements.empty(); }
    friend bool operator==(const Extensions& a, const Extensions& b);
};

// A subtree as a standalone document (namespace declarations included), e.g. to hand an
// inline SRGS grammar to a grammar compiler.
std::string serializeSubtree(const Subtree& tree);

}  // namespace parley::proto::ivr
