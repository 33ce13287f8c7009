#pragma once
// Internal to the ivr package: reading msc-ivr elements out of an xml::Element tree.
//
// Every reading function returns false after recording the first error in the
// ParseContext (later errors are ignored), so callers write `if (!x) return false;`.
// An ElementReader marks the attributes it has read; finish() then refuses unknown
// unprefixed attributes (400) and sorts foreign ones into Extensions (or 431).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "proto/packages/ivr/codec.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::ivr::detail {

struct ParseContext {
    ForeignPolicy foreign = ForeignPolicy::Keep;
    std::optional<common::Error> error;

    bool fail(int code, std::string reason);
};

// A value quoted in a reason, cut short so hostile input cannot bloat responses.
std::string quote(std::string_view value);
bool isBlank(std::string_view s);
std::string_view trimXml(std::string_view s);

enum class Need { Optional, Required };

class ElementReader {
  public:
    ElementReader(const xml::Element& e, ParseContext& ctx);

    const xml::Element& element() const { return e_; }
    ParseContext& context() { return ctx_; }
    // "<media>" for reasons.
    std::string where() const { return "<" + e_.local + ">"; }

    // Attribute readers. An absent optional attribute leaves `out` unchanged (so it keeps
    // its default); a missing required one or a malformed value fails with 400.
    bool text(std::string_view name, std::string& out, Need need = Need::Optional);
    bool text(std::string_view name, std::optional<std::string>& out);
    bool time(std::string_view name, Milliseconds& out);
    bool time(std::string_view name, std::optional<Milliseconds>& out);
    bool boolean(std::string_view name, bool& out);
    bool percentage(std::string_view name, std::uint32_t& out);
    bool dtmfChar(std::string_view name, char& out);
    bool dtmfChar(std::string_view name, std::optional<char>& out);
    bool dtmfString(std::string_view name, std::string& out, Need need = Need::Optional);
    bool dtmfString(std::string_view name, std::optional<std::string>& out);
    bool nonNegative(std::string_view name, std::uint64_t& out, Need need = Need::Optional);
    bool nonNegative(std::string_view name, std::optional<std::uint64_t>& out);
    bool nonNegative32(std::string_view name, std::uint32_t& out, Need need = Need::Optional);
    bool positive32(std::string_view name, std::uint32_t& out);
    bool integer(std::string_view name, int& out);
    bool language(std::string_view name, std::optional<std::string>& out);
    bool dateTime(std::string_view name, std::string& out, Need need = Need::Optional);
    bool dateTime(std::string_view name, std::optional<std::string>& out);
    bool statusCode(std::string_view name, int& out);
    // xml:base, xml:lang.
    bool xmlAttribute(std::string_view local, std::optional<std::string>& out);

    template <typename E>
    bool enumeration(std::string_view name, E& out, Need need = Need::Optional) {
        const std::string* v = take(name, need);
        if (!v) return !ctx_.error;
        if (!fromString(*v, out)) return invalid(name, *v, "not an allowed value");
        return true;
    }
    template <typename E>
    bool enumeration(std::string_view name, std::optional<E>& out) {
        const std::string* v = take(name, Need::Optional);
        if (!v) return !ctx_.error;
        E value{};
        if (!fromString(*v, value)) return invalid(name, *v, "not an allowed value");
        out = value;
        return true;
    }

    // After all attributes are read: unknown ones fail, foreign ones go to `ext`.
    bool finish(Extensions& ext);
    // For elements that may carry no attributes at all (simple-typed ones).
    bool finishNoAttributes();

    // Child handling.
    bool foreignChild(const xml::Element& child, Extensions& ext);
    bool unexpectedChild(const xml::Element& child);
    bool noText();      // fails when the element has non-whitespace character data
    bool noChildren();  // fails when the element has child elements
    template <typename T>
    bool once(std::optional<T>& slot, const xml::Element& child) {
        if (slot) return ctx_.fail(400, "more than one <" + child.local + "> in " + where());
        slot.emplace();
        return true;
    }
    // Required attribute missing.
    bool missing(std::string_view name);
    bool invalid(std::string_view name, std::string_view value, std::string_view expected);

  private:
    const std::string* take(std::string_view name, Need need);

    const xml::Element& e_;
    ParseContext& ctx_;
    std::vector<bool> used_;
};

// Element parsers (parse_dialog.cpp, parse_messages.cpp).
bool parseDialog(const xml::Element& e, ParseContext& ctx, Dialog& out);
bool parseMedia(const xml::Element& e, ParseContext& ctx, Media& out);
bool parseParams(const xml::Element& e, ParseContext& ctx, Params& out);
bool parseCodecs(const xml::Element& e, ParseContext& ctx, Codecs& out);
bool parseAudit(const xml::Element& e, ParseContext& ctx, Audit& out);
bool parseAuditResponse(const xml::Element& e, ParseContext& ctx, AuditResponse& out);
bool parseRoot(const xml::Element& root, ParseContext& ctx, Document& out);

}  // namespace parley::proto::ivr::detail
