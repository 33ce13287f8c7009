#include "proto/packages/ivr/dialog.hpp"

#include <string>

namespace parley::proto::ivr {

namespace {

using common::Error;
using common::Status;

Status checkDtmf(const Dtmf& d) {
    if (!isDtmfString(d.digits)) return Error(400, "<dtmf> digits must be DTMF characters");
    if (d.level > 0 || d.level < -96)
        return Error(400, "<dtmf> level " + std::to_string(d.level) + " is outside 0..-96 dBm0");
    return {};
}

struct ItemCheck {
    Status operator()(const Media&) const { return {}; }
    Status operator()(const Variable&) const { return {}; }
    Status operator()(const Dtmf& d) const { return checkDtmf(d); }
    Status operator()(const Seq& s) const {
        if (s.items.empty()) return Error(400, "<seq> has no media, variable or dtmf");
        for (const auto& item : s.items)
            if (auto st = std::visit(*this, item); !st) return st;
        return {};
    }
    Status operator()(const Par& p) const {
        if (p.items.empty()) return Error(400, "<par> has no seq, media, variable or dtmf");
        for (const auto& item : p.items)
            if (auto st = std::visit(*this, item); !st) return st;
        return {};
    }
};

Status checkPrompt(const Prompt& p) {
    if (p.items.empty()) return Error(400, "<prompt> has no media, variable, dtmf or par");
    for (const auto& item : p.items)
        if (auto st = std::visit(ItemCheck{}, item); !st) return st;
    return {};
}

bool isPauseResumePair(std::string_view a, std::string_view b) {
    return (a == "pausekey" && b == "resumekey") || (a == "resumekey" && b == "pausekey");
}

Status checkControl(const Control& c) {
    if (c.external && !isDtmfString(*c.external))
        return Error(400, "<control> external must be DTMF characters");
    const auto keys = controlKeys(c);
    for (const auto& [name, key] : keys)
        if (!isDtmfChar(key))
            return Error(400, "<control> " + std::string(name) + " is not a DTMF key");
    for (std::size_t i = 0; i < keys.size(); ++i) {
        for (std::size_t j = i + 1; j < keys.size(); ++j) {
            if (keys[i].second != keys[j].second) continue;
            if (keys[i].first == keys[j].first) continue;  // a key repeated inside external
            if (isPauseResumePair(keys[i].first, keys[j].first)) continue;
            return Error(413, "control keys with same value: " + std::string(keys[i].first) +
                                  " and " + std::string(keys[j].first) + " both use '" +
                                  std::string(1, keys[i].second) + "'");
        }
    }
    return {};
}

Status checkCollect(const Collect& c) {
    if (c.maxDigits == 0) return Error(400, "<collect> maxdigits must be positive");
    if (!isDtmfChar(c.termChar)) return Error(400, "<collect> termchar is not a DTMF key");
    if (c.escapeKey && !isDtmfChar(*c.escapeKey))
        return Error(400, "<collect> escapekey is not a DTMF key");
    if (c.grammar) {
        const bool hasInline = c.grammar->inlineElement || !c.grammar->inlineText.empty();
        if (c.grammar->src && hasInline)
            return Error(400, "<grammar> has both a src attribute and an inline grammar");
        if (!c.grammar->src && !hasInline)
            return Error(400, "<grammar> needs a src attribute or an inline grammar");
    }
    return {};
}

}  // namespace

std::vector<std::pair<std::string_view, char>> controlKeys(const Control& c) {
    std::vector<std::pair<std::string_view, char>> keys;
    auto add = [&](std::string_view name, const std::optional<char>& key) {
        if (key) keys.emplace_back(name, *key);
    };
    add("gotostartkey", c.gotoStartKey);
    add("gotoendkey", c.gotoEndKey);
    add("ffkey", c.ffKey);
    add("rwkey", c.rwKey);
    add("pausekey", c.pauseKey);
    add("resumekey", c.resumeKey);
    add("volupkey", c.volUpKey);
    add("voldnkey", c.volDnKey);
    add("speedupkey", c.speedUpKey);
    add("speeddnkey", c.speedDnKey);
    if (c.external)
        for (char k : *c.external) keys.emplace_back("external", k);
    return keys;
}

common::Status validateDialog(const Dialog& d) {
    if (!d.prompt && !d.control && !d.collect && !d.record)
        return Error(400, "<dialog> needs at least one of prompt, control, collect or record");
    if (d.prompt)
        if (auto st = checkPrompt(*d.prompt); !st) return st;
    if (d.control)
        if (auto st = checkControl(*d.control); !st) return st;
    if (d.collect)
        if (auto st = checkCollect(*d.collect); !st) return st;
    return {};
}

}  // namespace parley::proto::ivr
