#pragma once
// Internal to parley_mixer_pkg: the checks every element reader of mixer_parser.cpp uses.
// Value parsers follow the RFC 6505 / XML Schema lexical rules (whitespace around tokens
// and numbers is collapsed, as the schema types do). Errors are Error{400 or 428,
// "<element> line N: what"}, with echoed values cut short.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::mixer::detail {

using common::Error;
using common::Result;
using common::Status;

inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

// Propagates the error of a Status-returning expression.
#define MIXER_TRY(expr)                \
    do {                               \
        if (auto st_ = (expr); !st_) { \
            return st_.error();        \
        }                              \
    } while (0)

bool isXmlSpace(char c);
std::string_view trim(std::string_view s);
Error invalid(const xml::Element& e, std::string_view what);      // 400
Error unsupported(const xml::Element& e, std::string_view what);  // 428
std::string quoted(std::string_view s);

// xsd:nonNegativeInteger / positiveInteger bounded to 32 bits.
Result<std::uint32_t> toUnsigned(const xml::Element& e, std::string_view name,
                                 std::string_view raw);
Result<std::uint32_t> toPositive(const xml::Element& e, std::string_view name,
                                 std::string_view raw);
// xsd:boolean: true, false, 1, 0.
Result<bool> toBool(const xml::Element& e, std::string_view name, std::string_view raw);
// A package status: three digits, 100..999.
Result<int> toStatus(const xml::Element& e, std::string_view raw);
// A setgain value in dB.
Result<double> toGain(const xml::Element& e, std::string_view raw);
bool isLanguage(std::string_view v);
bool isNmtoken(std::string_view v);

template <typename E>
using Names = std::initializer_list<std::pair<std::string_view, E>>;

template <typename E>
Result<E> toEnum(const xml::Element& e, std::string_view name, std::string_view raw,
                 Names<E> names) {
    std::string_view v = trim(raw);
    for (const auto& [text, value] : names) {
        if (v == text) return value;
    }
    std::string allowed;
    for (const auto& n : names) {
        if (!allowed.empty()) allowed += ", ";
        allowed += n.first;
    }
    return invalid(e, std::string(name) + " must be one of " + allowed + ", not " + quoted(raw));
}

struct Slot {
    std::string_view name;
    bool many = false;
};

enum class Order { sequence, any };

// Children matching each slot, in document order.
using Groups = std::vector<std::vector<const xml::Element*>>;

class Reader {
  public:
    explicit Reader(Leniency leniency) : strict_(leniency == Leniency::strict) {}

    bool strict() const { return strict_; }

    // Unqualified attributes must be in `known`; xml:* and xsi:* are ignored; other foreign
    // attributes are refused with 428 (strict) or ignored (tolerant).
    Status attributes(const xml::Element& e, std::initializer_list<std::string_view> known) const {
        for (const auto& a : e.attributes) {
            if (a.ns.empty()) {
                if (std::find(known.begin(), known.end(), a.local) == known.end()) {
                    return invalid(e, "unknown attribute " + quoted(a.local));
                }
            } else if (a.ns == kXmlNs || a.ns == kXsiNs) {
                continue;
            } else if (a.ns == kNamespace) {
                return invalid(e,
                               "attribute " + quoted(a.local) + " must not be namespace-qualified");
            } else if (strict_) {
                return unsupported(e, "unsupported foreign attribute {" + a.ns + "}" + a.local);
            }
        }
        return {};
    }

    // Whether a non-mixer child is refused (returns the error), or skipped (nullopt).
    std::optional<Error> foreignChild(const xml::Element& parent, const xml::Element& child) const {
        if (child.ns.empty()) {
            return invalid(parent, "element <" + child.local + "> has no namespace");
        }
        if (child.ns == kNamespace) {
            return invalid(parent, "unexpected element <" + child.local + ">");
        }
        if (strict_) {
            return unsupported(parent,
                               "unsupported foreign element {" + child.ns + "}" + child.local);
        }
        return std::nullopt;
    }

    // An element-only element: attributes, no text, children matched to the slots (in
    // schema order unless `order` is any; each slot once unless many).
    Result<Groups> content(const xml::Element& e, std::initializer_list<std::string_view> known,
                           std::initializer_list<Slot> slots, Order order = Order::sequence) const {
        return content(e, known, std::span<const Slot>(slots.begin(), slots.size()), order);
    }

    Result<Groups> content(const xml::Element& e, std::initializer_list<std::string_view> known,
                           std::span<const Slot> slots, Order order = Order::sequence) const {
        MIXER_TRY(attributes(e, known));
        if (!trim(e.text).empty()) {
            return invalid(e, "character data is not allowed here");
        }
        Groups groups(slots.size());
        std::size_t last = 0;
        for (const auto& child : e.children) {
            std::size_t index = slots.size();
            if (child.ns == kNamespace) {
                auto it = std::find_if(slots.begin(), slots.end(),
                                       [&](const Slot& s) { return s.name == child.local; });
                index = static_cast<std::size_t>(it - slots.begin());
            }
            if (index == slots.size()) {
                if (auto err = foreignChild(e, child)) return *err;
                continue;
            }
            const Slot& slot = *(slots.begin() + index);
            if (order == Order::sequence && index < last) {
                return invalid(e, "<" + child.local + "> is out of order");
            }
            if (!slot.many && !groups[index].empty()) {
                return invalid(e, "<" + child.local + "> may appear only once");
            }
            groups[index].push_back(&child);
            last = index;
        }
        return groups;
    }

    // A simple-typed element (region, priority, subtype): no attributes, no children.
    Result<std::string_view> simpleText(const xml::Element& e) const {
        MIXER_TRY(attributes(e, {}));
        if (!e.children.empty()) {
            return invalid(e, "child elements are not allowed here");
        }
        return trim(e.text);
    }

  private:
    bool strict_;
};

const xml::Element* first(const std::vector<const xml::Element*>& group);
// A required attribute that must not be empty (identifiers).
Result<std::string> requiredId(const xml::Element& e, std::string_view name);
// Reads a desclang attribute into out when present.
Status checkDesclang(const xml::Element& e, std::optional<std::string>& out);
std::optional<std::string> optionalAttr(const xml::Element& e, std::string_view name);

}  // namespace parley::proto::mixer::detail
