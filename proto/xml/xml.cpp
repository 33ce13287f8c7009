#include "proto/xml/xml.hpp"

#include <memory>
#include <sstream>

#include <xercesc/framework/MemBufInputSource.hpp>
#include <xercesc/sax/Locator.hpp>
#include <xercesc/sax/SAXParseException.hpp>
#include <xercesc/sax2/Attributes.hpp>
#include <xercesc/sax2/DefaultHandler.hpp>
#include <xercesc/sax2/SAX2XMLReader.hpp>
#include <xercesc/sax2/XMLReaderFactory.hpp>
#include <xercesc/util/SecurityManager.hpp>
#include <xercesc/util/XMLUni.hpp>

#include "proto/xml/xerces_env.hpp"

namespace parley::proto::xml {

using namespace xercesc;
using detail::toUtf8;

// ---------------------------------------------------------------- Element lookups

const std::string* Element::attr(std::string_view name) const {
    for (const auto& a : attributes)
        if (a.ns.empty() && a.local == name) return &a.value;
    return nullptr;
}

const std::string* Element::attrNs(std::string_view ns_, std::string_view name) const {
    for (const auto& a : attributes)
        if (a.ns == ns_ && a.local == name) return &a.value;
    return nullptr;
}

const Element* Element::child(std::string_view ns_, std::string_view name) const {
    for (const auto& c : children)
        if (c.ns == ns_ && c.local == name) return &c;
    return nullptr;
}

std::vector<const Element*> Element::childrenNamed(std::string_view ns_, std::string_view name) const {
    std::vector<const Element*> out;
    for (const auto& c : children)
        if (c.ns == ns_ && c.local == name) out.push_back(&c);
    return out;
}

// ---------------------------------------------------------------- parsing

namespace {

// Thrown inside the SAX callbacks to stop the parse; caught in parse() below and never
// let out of this file.
struct Abort {
    std::string reason;
};

const XMLCh kXmlnsUri[] = u"http://www.w3.org/2000/xmlns/";

class TreeBuilder : public DefaultHandler {
public:
    explicit TreeBuilder(const Limits& limits) : limits_(limits) {}

    void setDocumentLocator(const Locator* const locator) override { locator_ = locator; }

    void startElement(const XMLCh* const uri, const XMLCh* const localname, const XMLCh* const,
                      const Attributes& attrs) override {
        if (++elements_ > limits_.maxElements)
            throw Abort{"document has more than " + std::to_string(limits_.maxElements) + " elements"};
        if (static_cast<int>(stack_.size()) >= limits_.maxDepth)
            throw Abort{"elements nested deeper than " + std::to_string(limits_.maxDepth)};
        if (attrs.getLength() > limits_.maxAttributes)
            throw Abort{"element has more than " + std::to_string(limits_.maxAttributes) + " attributes"};

        Element e;
        e.ns = toUtf8(uri);
        e.local = toUtf8(localname);
        e.line = locator_ ? static_cast<int>(locator_->getLineNumber()) : 0;
        for (XMLSize_t i = 0; i < attrs.getLength(); ++i) {
            const XMLCh* auri = attrs.getURI(i);
            if (auri && XMLString::equals(auri, kXmlnsUri)) continue;
            e.attributes.push_back(Attribute{toUtf8(auri), toUtf8(attrs.getLocalName(i)),
                                             toUtf8(attrs.getValue(i))});
        }
        if (stack_.empty()) {
            root_ = std::move(e);
            stack_.push_back(&root_);
        } else {
            Element* parent = stack_.back();
            parent->childTextAt.push_back(parent->text.size());
            parent->children.push_back(std::move(e));
            stack_.push_back(&parent->children.back());
        }
    }

    void endElement(const XMLCh* const, const XMLCh* const, const XMLCh* const) override {
        if (!stack_.empty()) stack_.pop_back();
    }

    void characters(const XMLCh* const chars, const XMLSize_t length) override {
        if (stack_.empty()) return;
        std::string& text = stack_.back()->text;
        if (text.size() + length > limits_.maxTextBytes)
            throw Abort{"element text longer than " + std::to_string(limits_.maxTextBytes) + " bytes"};
        text += toUtf8(chars, length);
    }

    // LexicalHandler: any DOCTYPE stops the parse before a DTD can do anything.
    void startDTD(const XMLCh* const, const XMLCh* const, const XMLCh* const) override {
        throw Abort{"DOCTYPE is not allowed"};
    }
    void startEntity(const XMLCh* const name) override {
        throw Abort{"entity reference '" + toUtf8(name) + "' is not allowed"};
    }

    void error(const SAXParseException& e) override { fail(e); }
    void fatalError(const SAXParseException& e) override { fail(e); }
    void warning(const SAXParseException&) override {}

    Element takeRoot() { return std::move(root_); }

private:
    [[noreturn]] void fail(const SAXParseException& e) {
        std::ostringstream os;
        os << "not well-formed at " << e.getLineNumber() << ":" << e.getColumnNumber() << ": "
           << toUtf8(e.getMessage());
        throw Abort{os.str()};
    }

    const Limits& limits_;
    const Locator* locator_ = nullptr;
    Element root_;
    std::vector<Element*> stack_;  // pointers stay valid: a parent's children only grow
                                   // while that child is the innermost open element... see note
    std::size_t elements_ = 0;
};

// Note on stack_: push_back into parent->children may reallocate and move earlier siblings,
// but those siblings are already closed (not on the stack); the parent itself lives in its
// own parent's vector, which does not change while the parent is open. So every pointer on
// the stack stays valid.

}  // namespace

common::Result<Element> parse(std::string_view document, const Limits& limits) {
    if (document.size() > limits.maxBytes)
        return common::Error(400, "document larger than " + std::to_string(limits.maxBytes) + " bytes");
    if (document.empty()) return common::Error(400, "empty document");

    detail::ensureXerces();
    std::unique_ptr<SAX2XMLReader> reader(XMLReaderFactory::createXMLReader());
    reader->setFeature(XMLUni::fgSAX2CoreNameSpaces, true);
    reader->setFeature(XMLUni::fgSAX2CoreNameSpacePrefixes, false);
    reader->setFeature(XMLUni::fgSAX2CoreValidation, false);
    reader->setFeature(XMLUni::fgXercesSchema, false);
    reader->setFeature(XMLUni::fgXercesLoadExternalDTD, false);
    reader->setFeature(XMLUni::fgXercesDisableDefaultEntityResolution, true);
    SecurityManager security;
    security.setEntityExpansionLimit(16);
    reader->setProperty(XMLUni::fgXercesSecurityManager, &security);

    TreeBuilder builder(limits);
    reader->setContentHandler(&builder);
    reader->setErrorHandler(&builder);
    reader->setLexicalHandler(&builder);

    MemBufInputSource source(reinterpret_cast<const XMLByte*>(document.data()), document.size(),
                             "parley-xml", false);
    try {
        reader->parse(source);
    } catch (const Abort& a) {
        return common::Error(400, a.reason);
    } catch (const SAXParseException& e) {
        return common::Error(400, "not well-formed: " + toUtf8(e.getMessage()));
    } catch (const XMLException& e) {
        return common::Error(400, "not well-formed: " + toUtf8(e.getMessage()));
    } catch (const std::bad_alloc&) {
        return common::Error(400, "document too large to parse");
    } catch (...) {
        return common::Error(400, "not well-formed");
    }
    Element root = builder.takeRoot();
    if (root.local.empty()) return common::Error(400, "no root element");
    return root;
}

// ---------------------------------------------------------------- writing

namespace {

void escapeInto(std::string& out, std::string_view s, bool attribute) {
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"':
                if (attribute) out += "&quot;"; else out += c;
                break;
            case '\n':
                if (attribute) out += "&#10;"; else out += c;
                break;
            case '\r': out += "&#13;"; break;
            case '\t':
                if (attribute) out += "&#9;"; else out += c;
                break;
            default: out += c;
        }
    }
}

}  // namespace

std::string escapeText(std::string_view s) {
    std::string out;
    escapeInto(out, s, false);
    return out;
}

std::string escapeAttribute(std::string_view s) {
    std::string out;
    escapeInto(out, s, true);
    return out;
}

void Writer::newline() {
    if (!indent_) return;
    if (!out_.empty()) out_ += '\n';
    out_.append(stack_.size() * 2, ' ');
}

void Writer::closeStartTag() {
    if (startTagOpen_) {
        out_ += '>';
        startTagOpen_ = false;
    }
}

Writer& Writer::open(std::string_view name) {
    closeStartTag();
    newline();
    out_ += '<';
    out_ += name;
    stack_.emplace_back(name);
    startTagOpen_ = true;
    hasText_ = false;
    hasChildren_ = false;
    return *this;
}

Writer& Writer::attr(std::string_view name, std::string_view value) {
    // Attributes belong to the start tag; after content has started they would be invalid.
    if (!startTagOpen_) return *this;
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    escapeInto(out_, value, true);
    out_ += '"';
    return *this;
}

Writer& Writer::text(std::string_view value) {
    if (stack_.empty()) return *this;
    closeStartTag();
    escapeInto(out_, value, false);
    hasText_ = true;
    return *this;
}

Writer& Writer::close() {
    if (stack_.empty()) return *this;
    std::string name = std::move(stack_.back());
    stack_.pop_back();
    if (startTagOpen_) {
        out_ += "/>";
        startTagOpen_ = false;
    } else {
        if (!hasText_) newline();
        out_ += "</";
        out_ += name;
        out_ += '>';
    }
    hasText_ = false;
    hasChildren_ = true;
    return *this;
}

Writer& Writer::leaf(std::string_view name,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> attrs) {
    open(name);
    for (const auto& [k, v] : attrs) attr(k, v);
    return close();
}

std::string Writer::finish() {
    while (!stack_.empty()) close();
    std::string out = std::move(out_);
    out_.clear();
    return out;
}

}  // namespace parley::proto::xml
