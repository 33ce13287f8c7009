#pragma once
// A small, safe XML document model for the package codecs.
//
// parse() runs Xerces-C's SAX2 parser with namespaces on and everything dangerous off:
// a DOCTYPE is refused outright (so no DTD, no entity declarations, no external entities,
// no network fetches), and the document's size, element depth, element count and
// attributes per element are bounded. The result is a plain tree of Element values that
// owns no Xerces object: Xerces never leaves proto/xml.
//
// Errors come back as Error{400, reason}: the reason names what broke and where
// ("not well-formed at 3:17: expected end of tag 'media'", "DOCTYPE is not allowed", ...).
//
// Writer produces documents: elements, attributes and text escaped as XML requires,
// indented two spaces per level like the RFC examples (or compact).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::proto::xml {

struct Attribute {
    std::string ns;     // namespace URI; empty for unprefixed attributes
    std::string local;  // local name
    std::string value;  // normalized value as the XML spec gives it
};

struct Element {
    std::string ns;     // namespace URI (empty when none)
    std::string local;  // local name
    std::vector<Attribute> attributes;  // xmlns declarations are not included
    std::vector<Element> children;      // child elements in document order
    std::string text;   // character data directly inside this element (not its children's)
    // Where each child stood in that character data: childTextAt[i] is text.size() when
    // children[i]'s start tag came (mixed content such as SRGS "1 <ruleref/> #").
    std::vector<std::size_t> childTextAt;
    int line = 0;       // where the start tag was, for error reasons

    // Unprefixed attribute by local name; nullptr when absent.
    const std::string* attr(std::string_view local) const;
    // Attribute in a namespace; nullptr when absent.
    const std::string* attrNs(std::string_view ns, std::string_view local) const;
    // First child element with this namespace and local name; nullptr when none.
    const Element* child(std::string_view ns, std::string_view local) const;
    std::vector<const Element*> childrenNamed(std::string_view ns, std::string_view local) const;
    bool is(std::string_view ns_, std::string_view local_) const { return ns == ns_ && local == local_; }
};

struct Limits {
    std::size_t maxBytes = 1u << 20;        // whole document
    int maxDepth = 32;                      // element nesting
    std::size_t maxElements = 20000;        // elements in the document
    std::size_t maxAttributes = 64;         // attributes on one element
    std::size_t maxTextBytes = 256u << 10;  // character data of one element
};

// Parses a whole document; returns the root element.
common::Result<Element> parse(std::string_view document, const Limits& limits = {});

// Escapes text for element content (&, <, >) or attribute values (also ", newline, tab).
std::string escapeText(std::string_view s);
std::string escapeAttribute(std::string_view s);

class Writer {
public:
    explicit Writer(bool indent = true) : indent_(indent) {}

    // Starts an element. Attributes may be added until the first child or text.
    Writer& open(std::string_view name);
    Writer& attr(std::string_view name, std::string_view value);
    // Character data inside the current element (escaped).
    Writer& text(std::string_view value);
    // Closes the innermost open element (as <x/> when it has no content).
    Writer& close();
    // A complete empty element with attributes given as name/value pairs.
    Writer& leaf(std::string_view name,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> attrs = {});

    // Closes anything still open and returns the document.
    std::string finish();

private:
    void closeStartTag();
    void newline();

    std::string out_;
    std::vector<std::string> stack_;
    bool indent_;
    bool startTagOpen_ = false;
    bool hasText_ = false;    // the innermost element holds text (stay on one line)
    bool hasChildren_ = false;
};

}  // namespace parley::proto::xml
