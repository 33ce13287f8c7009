#include "as/apps/instructions.hpp"

#include <cctype>
#include <cmath>
#include <optional>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace parley::as::apps {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using common::Error;

// Options of one verb, read with type checks; the first problem wins.
class Options {
public:
    Options(Object::Ptr obj, std::string where) : obj_(std::move(obj)), where_(std::move(where)) {}

    const std::optional<Error>& error() const { return error_; }

    std::optional<std::string> string(const char* key, bool required) {
        if (error_) return std::nullopt;
        if (!obj_ || !obj_->has(key) || obj_->isNull(key)) {
            if (required) fail(key, "is required");
            return std::nullopt;
        }
        Poco::Dynamic::Var v = obj_->get(key);
        if (!v.isString()) {
            fail(key, "must be a string");
            return std::nullopt;
        }
        return v.extract<std::string>();
    }

    // Integers given as JSON numbers (a whole float such as 5.0 is taken too).
    std::optional<long long> integer(const char* key, long long min, long long max) {
        if (error_ || !obj_ || !obj_->has(key) || obj_->isNull(key)) return std::nullopt;
        Poco::Dynamic::Var v = obj_->get(key);
        if (!v.isNumeric() || v.isBoolean()) {
            fail(key, "must be a number");
            return std::nullopt;
        }
        double d = 0;
        try {
            d = v.convert<double>();
        } catch (const Poco::Exception&) {
            fail(key, "must be a number");
            return std::nullopt;
        }
        if (!std::isfinite(d) || d != std::floor(d)) {
            fail(key, "must be a whole number");
            return std::nullopt;
        }
        if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
            fail(key, "must be in " + std::to_string(min) + ".." + std::to_string(max));
            return std::nullopt;
        }
        return static_cast<long long>(d);
    }

    std::optional<bool> boolean(const char* key) {
        if (error_ || !obj_ || !obj_->has(key) || obj_->isNull(key)) return std::nullopt;
        Poco::Dynamic::Var v = obj_->get(key);
        if (!v.isBoolean()) {
            fail(key, "must be true or false");
            return std::nullopt;
        }
        return v.extract<bool>();
    }

    void fail(const std::string& key, const std::string& what) {
        if (!error_) error_ = Error(400, where_ + ": " + key + ": " + what);
    }

private:
    Object::Ptr obj_;
    std::string where_;
    std::optional<Error> error_;
};

bool isSipUri(std::string_view uri) {
    auto prefix = [&](std::string_view p) { return uri.substr(0, p.size()) == p; };
    std::string_view rest;
    if (prefix("sip:")) {
        rest = uri.substr(4);
    } else if (prefix("sips:")) {
        rest = uri.substr(5);
    } else if (prefix("tel:")) {
        rest = uri.substr(4);
    } else {
        return false;
    }
    if (rest.empty() || rest.size() > 512) return false;
    for (unsigned char c : rest)
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"') return false;
    return true;
}

bool isDtmf(char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

bool validDate(const std::string& v) {
    if (v == "now") return true;
    if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
        if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
    return true;
}

bool validTime(const std::string& v) {
    if (v == "now") return true;
    if (v.size() != 5 && v.size() != 8) return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        bool colon = i == 2 || i == 5;
        if (colon ? v[i] != ':' : !std::isdigit(static_cast<unsigned char>(v[i]))) return false;
    }
    return true;
}

bool acceptableMediaUrl(const std::string& url) {
    if (isHttpUrl(url)) return true;
    return url.rfind("file:", 0) == 0 && url.size() > 5 && url.find_first_of(" \r\n\t") == std::string::npos;
}

common::Result<Instruction> parseVerb(const std::string& verb, Object::Ptr opts, const std::string& where) {
    Options o(opts, where + ": " + verb);
    auto done = [&](Instruction i) -> common::Result<Instruction> {
        if (o.error()) return *o.error();
        return i;
    };
    if (verb == "answer") return done(AnswerVerb{});
    if (verb == "hangup") return done(HangupVerb{});
    if (verb == "reject") {
        RejectVerb v;
        if (auto s = o.integer("status", 400, 699)) v.status = static_cast<int>(*s);
        return done(v);
    }
    if (verb == "play") {
        PlayVerb v;
        if (auto url = o.string("url", true)) {
            if (!acceptableMediaUrl(*url)) o.fail("url", "must be an http(s) or file URL");
            v.url = *url;
        }
        if (auto n = o.integer("loop", 0, 100)) v.loop = static_cast<std::uint32_t>(*n);
        return done(v);
    }
    if (verb == "say") {
        SayVerb v;
        if (auto t = o.string("type", true)) {
            if (*t != "digits" && *t != "date" && *t != "time") o.fail("type", "must be digits, date or time");
            v.type = *t;
        }
        if (auto val = o.string("value", true)) {
            v.value = *val;
            if (v.type == "digits") {
                bool ok = !val->empty() && val->size() <= 64;
                for (char c : *val) ok = ok && isDtmf(c);
                if (!ok) o.fail("value", "must be 1..64 of 0-9 * # A-D");
            } else if (v.type == "date" && !validDate(*val)) {
                o.fail("value", "must be YYYY-MM-DD or \"now\"");
            } else if (v.type == "time" && !validTime(*val)) {
                o.fail("value", "must be HH:MM, HH:MM:SS or \"now\"");
            }
        }
        if (auto f = o.string("format", false)) {
            bool ok = f->size() <= 16;
            for (char c : *f) ok = ok && std::isalnum(static_cast<unsigned char>(c));
            if (!ok) o.fail("format", "must be a short word such as mdy or t24");
            v.format = *f;
        }
        return done(v);
    }
    if (verb == "gather") {
        GatherVerb v;
        auto n = o.integer("numDigits", 1, 64);
        auto m = o.integer("max", 1, 64);
        if (n) v.numDigits = static_cast<std::uint32_t>(*n);
        else if (m) v.numDigits = static_cast<std::uint32_t>(*m);
        if (auto t = o.integer("timeout", 1, 120)) v.timeout = std::chrono::seconds(*t);
        if (auto k = o.string("finishOnKey", false)) {
            if (k->size() > 1 || (k->size() == 1 && !isDtmf((*k)[0]))) o.fail("finishOnKey", "must be one DTMF key or \"\"");
            v.finishOnKey = *k;
        }
        if (auto a = o.string("actionUrl", false)) {
            if (!isHttpUrl(*a)) o.fail("actionUrl", "must be an http(s) URL");
            v.actionUrl = *a;
        }
        if (auto p = o.string("prompt", false)) {
            if (!acceptableMediaUrl(*p)) o.fail("prompt", "must be an http(s) or file URL");
            v.prompt = *p;
        }
        return done(v);
    }
    if (verb == "record") {
        RecordVerb v;
        if (auto t = o.integer("maxLength", 1, 3600)) v.maxLength = std::chrono::seconds(*t);
        if (auto b = o.boolean("beep")) v.beep = *b;
        if (auto a = o.string("actionUrl", false)) {
            if (!isHttpUrl(*a)) o.fail("actionUrl", "must be an http(s) URL");
            v.actionUrl = *a;
        }
        return done(v);
    }
    if (verb == "conference") {
        ConferenceVerb v;
        if (auto r = o.string("room", true)) {
            bool ok = !r->empty() && r->size() <= 64;
            for (char c : *r)
                ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' || c == '-');
            if (!ok) o.fail("room", "must be 1..64 of A-Z a-z 0-9 . _ ~ -");
            v.room = *r;
        }
        if (auto b = o.boolean("muted")) v.muted = *b;
        if (auto role = o.string("role", false)) {
            if (*role != "participant" && *role != "moderator") o.fail("role", "must be participant or moderator");
            v.role = *role;
        }
        return done(v);
    }
    if (verb == "dial") {
        DialVerb v;
        if (auto u = o.string("uri", true)) {
            if (!isSipUri(*u)) o.fail("uri", "must be a sip:, sips: or tel: URI");
            v.uri = *u;
        }
        if (auto c = o.string("callerId", false)) {
            if (!isSipUri(*c)) o.fail("callerId", "must be a sip:, sips: or tel: URI");
            v.callerId = *c;
        }
        if (auto t = o.integer("timeout", 1, 120)) v.timeout = std::chrono::seconds(*t);
        if (auto b = o.boolean("record")) v.record = *b;
        return done(v);
    }
    if (verb == "redirect") {
        RedirectVerb v;
        if (auto u = o.string("url", true)) {
            if (!isHttpUrl(*u)) o.fail("url", "must be an http(s) URL");
            v.url = *u;
        }
        return done(v);
    }
    std::string shown = verb.substr(0, 40);
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return Error(400, where + ": unknown verb '" + shown + "'");
}

}  // namespace

bool isHttpUrl(std::string_view url) {
    std::string_view rest;
    if (url.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else if (url.rfind("https://", 0) == 0) {
        rest = url.substr(8);
    } else {
        return false;
    }
    if (rest.empty() || rest.front() == '/' || rest.size() > 2048) return false;
    for (unsigned char c : rest)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

const char* verbName(const Instruction& instruction) {
    static constexpr const char* kNames[] = {"answer", "reject", "play",  "say",      "gather",
                                             "record", "conference", "dial", "redirect", "hangup"};
    return kNames[instruction.index()];
}

common::Result<std::vector<Instruction>> parseInstructions(std::string_view body, const ParseLimits& limits) {
    if (body.size() > limits.maxBodyBytes)
        return Error(413, "body of " + std::to_string(body.size()) + " bytes is over the limit of " +
                              std::to_string(limits.maxBodyBytes));
    Poco::Dynamic::Var root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(std::string(body));
    } catch (const Poco::Exception& e) {
        return Error(400, "not JSON: " + e.displayText().substr(0, 200));
    } catch (const std::exception& e) {
        return Error(400, std::string("not JSON: ") + e.what());
    }
    Array::Ptr list;
    try {
        if (root.type() == typeid(Array::Ptr)) {
            list = root.extract<Array::Ptr>();
        } else if (root.type() == typeid(Object::Ptr)) {
            Object::Ptr obj = root.extract<Object::Ptr>();
            if (obj && obj->has("instructions") && obj->isArray("instructions")) list = obj->getArray("instructions");
        }
    } catch (const Poco::Exception&) {
        list = nullptr;
    }
    if (!list) return Error(400, "expected an array or {\"instructions\": [...]}");
    if (list->size() > limits.maxInstructions)
        return Error(413, std::to_string(list->size()) + " instructions, over the limit of " +
                              std::to_string(limits.maxInstructions));

    std::vector<Instruction> out;
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string where = "instructions[" + std::to_string(i) + "]";
        if (!list->isObject(i)) return Error(400, where + ": must be an object");
        Object::Ptr item = list->getObject(static_cast<unsigned>(i));
        common::Result<Instruction> parsed = Error(400, where + ": empty");
        try {
            if (item->has("verb")) {
                Poco::Dynamic::Var v = item->get("verb");
                if (!v.isString()) return Error(400, where + ": verb: must be a string");
                parsed = parseVerb(v.extract<std::string>(), item, where);
            } else if (item->size() == 1) {
                const std::string verb = item->begin()->first;
                Object::Ptr opts;
                if (item->isObject(verb)) {
                    opts = item->getObject(verb);
                } else if (!item->isNull(verb)) {
                    // {"hangup": true} or {"play": "url"}: the short form's shorthand.
                    Poco::Dynamic::Var v = item->get(verb);
                    if (v.isString() && (verb == "play" || verb == "redirect")) {
                        opts = new Object;
                        opts->set("url", v.extract<std::string>());
                    } else if (!v.isBoolean()) {
                        return Error(400, where + ": " + verb.substr(0, 40) + ": options must be an object");
                    }
                }
                parsed = parseVerb(verb, opts, where);
            } else {
                return Error(400, where + ": needs a \"verb\" or exactly one key naming the verb");
            }
        } catch (const Poco::Exception& e) {
            return Error(400, where + ": " + e.displayText().substr(0, 200));
        }
        if (!parsed) return parsed.error();
        out.push_back(std::move(*parsed));
    }
    return out;
}

}  // namespace parley::as::apps
