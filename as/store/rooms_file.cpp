#include "as/store/rooms_file.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

namespace parley::as {

using common::Error;
using common::Result;
using common::Status;

namespace {

// A key or value quoted for an error message: printable ASCII kept, other bytes as \xNN,
// cut at 64 characters.
std::string shown(std::string_view text) {
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < 64; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (text.size() > 64) out += "...";
    return out + "'";
}

// Poco's ParseHandler builds the document; this one also notes where it is (a path such as
// "rooms[2]") so that a key given twice in one object can be reported by place. Poco itself
// would keep the last value silently.
class StrictParseHandler : public Poco::JSON::ParseHandler {
  public:
    StrictParseHandler() : ParseHandler(true) {}

    const std::string& duplicate() const { return duplicate_; }

    void reset() override {
        frames_.clear();
        duplicate_.clear();
        ParseHandler::reset();
    }
    void startObject() override {
        child();
        frames_.push_back(Frame{false, 0, {}, {}});
        ParseHandler::startObject();
    }
    void endObject() override {
        if (!frames_.empty()) frames_.pop_back();
        ParseHandler::endObject();
    }
    void startArray() override {
        child();
        frames_.push_back(Frame{true, 0, {}, {}});
        ParseHandler::startArray();
    }
    void endArray() override {
        if (!frames_.empty()) frames_.pop_back();
        ParseHandler::endArray();
    }
    void key(const std::string& k) override {
        if (!frames_.empty() && !frames_.back().array) {
            Frame& f = frames_.back();
            if (!f.keys.insert(k).second && duplicate_.empty()) {
                std::string where = containerPath();
                duplicate_ =
                    (where.empty() ? "" : where + ": ") + "key " + shown(k) + " given twice";
            }
            f.key = k;
        }
        ParseHandler::key(k);
    }
    void null() override {
        child();
        ParseHandler::null();
    }
    void value(int v) override {
        child();
        ParseHandler::value(v);
    }
    void value(unsigned v) override {
        child();
        ParseHandler::value(v);
    }
    void value(Poco::Int64 v) override {
        child();
        ParseHandler::value(v);
    }
    void value(Poco::UInt64 v) override {
        child();
        ParseHandler::value(v);
    }
    void value(const std::string& v) override {
        child();
        ParseHandler::value(v);
    }
    void value(double v) override {
        child();
        ParseHandler::value(v);
    }
    void value(bool v) override {
        child();
        ParseHandler::value(v);
    }

  private:
    struct Frame {
        bool array;
        std::size_t count;           // arrays: children seen so far
        std::string key;             // objects: the key whose value is being read
        std::set<std::string> keys;  // objects: keys seen so far
    };

    void child() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
    }
    // The path of the innermost container, e.g. "rooms[2]".
    std::string containerPath() const {
        std::string path;
        for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            if (f.array) {
                path += "[" + std::to_string(f.count - 1) + "]";
            } else {
                if (!path.empty()) path += '.';
                path += f.key;
            }
        }
        return path;
    }

    std::vector<Frame> frames_;
    std::string duplicate_;
};

bool isArray(const Poco::Dynamic::Var& v) {
    return v.type() == typeid(Poco::JSON::Array::Ptr);
}
bool isObject(const Poco::Dynamic::Var& v) {
    return v.type() == typeid(Poco::JSON::Object::Ptr);
}

std::string jsonKind(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.isString()) return "a string";
    if (v.isBoolean()) return "a boolean";
    if (v.isNumeric()) return "a number";
    if (isArray(v)) return "an array";
    if (isObject(v)) return "an object";
    return "something else";
}

Error wrongType(const std::string& where, const char* expected, const Poco::Dynamic::Var& v) {
    return Error(400, where + ": must be " + expected + ", not " + jsonKind(v));
}

using StringField = std::string RoomConfig::*;
using BoolField = bool RoomConfig::*;
using CountField = std::uint32_t RoomConfig::*;
using ListField = std::vector<std::string> RoomConfig::*;

struct FieldSpec {
    const char* key;
    std::variant<StringField, BoolField, CountField, ListField> member;
};

// Every key a room object may carry, in the order of the documentation.
const FieldSpec kFields[] = {
    {"name", &RoomConfig::name},
    {"displayName", &RoomConfig::displayName},
    {"pin", &RoomConfig::pin},
    {"moderatorPin", &RoomConfig::moderatorPin},
    {"maxParticipants", &RoomConfig::maxParticipants},
    {"locked", &RoomConfig::locked},
    {"waitForModerator", &RoomConfig::waitForModerator},
    {"endWhenModeratorLeaves", &RoomConfig::endWhenModeratorLeaves},
    {"muteOnJoin", &RoomConfig::muteOnJoin},
    {"announceJoinLeave", &RoomConfig::announceJoinLeave},
    {"recordNames", &RoomConfig::recordNames},
    {"allow", &RoomConfig::allow},
    {"deny", &RoomConfig::deny},
    {"recordFromStart", &RoomConfig::recordFromStart},
    {"eventsUrl", &RoomConfig::eventsUrl},
};

const FieldSpec* fieldFor(const std::string& key) {
    for (const auto& f : kFields)
        if (key == f.key) return &f;
    return nullptr;
}

Status readString(const std::string& where, const Poco::Dynamic::Var& v, std::string& out) {
    if (!v.isString()) return wrongType(where, "a string", v);
    out = v.extract<std::string>();
    return {};
}

Status readField(const std::string& where, const Poco::Dynamic::Var& v, StringField m,
                 RoomConfig& r) {
    return readString(where, v, r.*m);
}

Status readField(const std::string& where, const Poco::Dynamic::Var& v, BoolField m,
                 RoomConfig& r) {
    if (!v.isBoolean()) return wrongType(where, "true or false", v);
    r.*m = v.extract<bool>();
    return {};
}

Status readField(const std::string& where, const Poco::Dynamic::Var& v, CountField m,
                 RoomConfig& r) {
    constexpr Poco::UInt64 kMax = 0xffffffffULL;
    if (!v.isInteger()) return wrongType(where, "a whole number 0..4294967295", v);
    if (v.isSigned()) {
        Poco::Int64 n = v.convert<Poco::Int64>();
        if (n < 0 || static_cast<Poco::UInt64>(n) > kMax)
            return Error(400, where + ": must be 0..4294967295, got " + std::to_string(n));
        r.*m = static_cast<std::uint32_t>(n);
    } else {
        Poco::UInt64 n = v.convert<Poco::UInt64>();
        if (n > kMax)
            return Error(400, where + ": must be 0..4294967295, got " + std::to_string(n));
        r.*m = static_cast<std::uint32_t>(n);
    }
    return {};
}

Status readField(const std::string& where, const Poco::Dynamic::Var& v, ListField m,
                 RoomConfig& r) {
    if (!isArray(v)) return wrongType(where, "an array of strings", v);
    auto array = v.extract<Poco::JSON::Array::Ptr>();
    std::vector<std::string> items;
    for (std::size_t i = 0; i < array->size(); ++i) {
        std::string item;
        if (auto ok = readString(where + "[" + std::to_string(i) + "]",
                                 array->get(static_cast<unsigned>(i)), item);
            !ok)
            return ok;
        items.push_back(std::move(item));
    }
    r.*m = std::move(items);
    return {};
}

Result<RoomConfig> readRoom(const std::string& where, const Poco::Dynamic::Var& v) {
    if (!isObject(v)) return wrongType(where, "an object", v);
    auto object = v.extract<Poco::JSON::Object::Ptr>();
    std::vector<std::string> unknown;
    for (const auto& key : object->getNames())
        if (!fieldFor(key)) unknown.push_back(shown(key));
    if (!unknown.empty()) {
        std::string message = where + ": unknown key" + (unknown.size() > 1 ? "s " : " ");
        for (std::size_t i = 0; i < unknown.size(); ++i) message += (i ? ", " : "") + unknown[i];
        message += " (known:";
        for (const auto& f : kFields) message += std::string(" ") + f.key;
        return Error(400, message + ")");
    }
    if (!object->has("name")) return Error(400, where + ".name: missing");
    RoomConfig room;
    for (const auto& f : kFields) {
        if (!object->has(f.key)) continue;
        const std::string at = where + "." + f.key;
        Poco::Dynamic::Var value = object->get(f.key);
        Status ok =
            std::visit([&](auto member) { return readField(at, value, member, room); }, f.member);
        if (!ok) return ok.error();
    }
    if (auto ok = validateRoom(room); !ok) return Error(400, where + "." + ok.error().message);
    return room;
}

const char* const kRouteKeys[] = {"id",        "match",    "kind",          "target",
                                  "eventsUrl", "priority", "fallbackPrompt"};

Result<RouteConfig> readRoute(const std::string& where, const Poco::Dynamic::Var& v) {
    if (!isObject(v)) return wrongType(where, "an object", v);
    auto object = v.extract<Poco::JSON::Object::Ptr>();
    std::vector<std::string> unknown;
    for (const auto& key : object->getNames())
        if (std::find_if(std::begin(kRouteKeys), std::end(kRouteKeys),
                         [&](const char* k) { return key == k; }) == std::end(kRouteKeys))
            unknown.push_back(shown(key));
    if (!unknown.empty()) {
        std::string message = where + ": unknown key" + (unknown.size() > 1 ? "s " : " ");
        for (std::size_t i = 0; i < unknown.size(); ++i) message += (i ? ", " : "") + unknown[i];
        message += " (known:";
        for (const char* k : kRouteKeys) message += std::string(" ") + k;
        return Error(400, message + ")");
    }
    for (const char* required : {"id", "match", "kind", "target"})
        if (!object->has(required)) return Error(400, where + "." + required + ": missing");
    RouteConfig route;
    const std::pair<const char*, std::string*> strings[] = {
        {"id", &route.id},
        {"match", &route.match},
        {"target", &route.target},
        {"eventsUrl", &route.eventsUrl},
        {"fallbackPrompt", &route.fallbackPrompt}};
    for (const auto& [key, out] : strings) {
        if (!object->has(key)) continue;
        if (auto ok = readString(where + "." + key, object->get(key), *out); !ok) return ok.error();
    }
    std::string kind;
    if (auto ok = readString(where + ".kind", object->get("kind"), kind); !ok) return ok.error();
    auto parsedKind = kindFromName(kind);
    if (!parsedKind)
        return Error(400,
                     where + ".kind: must be \"room\", \"app\" or \"webhook\", not " + shown(kind));
    route.kind = *parsedKind;
    if (object->has("priority")) {
        Poco::Dynamic::Var p = object->get("priority");
        if (!p.isInteger()) return wrongType(where + ".priority", "a whole number 0..1000000", p);
        bool inRange = p.isSigned()
                           ? (p.convert<Poco::Int64>() >= 0 && p.convert<Poco::Int64>() <= 1000000)
                           : p.convert<Poco::UInt64>() <= 1000000;
        if (!inRange)
            return Error(400,
                         where + ".priority: must be 0..1000000, got " + p.convert<std::string>());
        route.priority = static_cast<int>(p.convert<Poco::Int64>());
    }
    if (auto ok = validateRoute(route); !ok) return Error(400, where + "." + ok.error().message);
    return route;
}

}  // namespace

Result<std::vector<RoomConfig>> parseRooms(std::string_view json) {
    auto document = parseRoomsDocument(json);
    if (!document) return document.error();
    return std::move(document->rooms);
}

Result<RoomsDocument> parseRoomsDocument(std::string_view json) {
    if (json.size() > kMaxRoomsDocument)
        return Error(400, "rooms document of " + std::to_string(json.size()) +
                              " bytes, more than the " + std::to_string(kMaxRoomsDocument) +
                              " allowed");
    Poco::Dynamic::Var document;
    Poco::SharedPtr<StrictParseHandler> handler = new StrictParseHandler();
    try {
        Poco::JSON::Parser parser(handler);
        parser.setDepth(16);
        parser.setAllowNullByte(false);
        document = parser.parse(std::string(json));
    } catch (const Poco::Exception& e) {
        return Error(400, "invalid JSON: " + e.displayText());
    } catch (const std::exception& e) {
        return Error(400, std::string("invalid JSON: ") + e.what());
    }
    if (!handler->duplicate().empty()) return Error(400, handler->duplicate());

    try {
        if (!isObject(document))
            return wrongType("the document", "an object {\"rooms\": [...]}", document);
        auto top = document.extract<Poco::JSON::Object::Ptr>();
        for (const auto& key : top->getNames())
            if (key != "rooms" && key != "routes")
                return Error(400, "unknown key " + shown(key) + " (known: rooms routes)");
        if (!top->has("rooms")) return Error(400, "rooms: missing");
        Poco::Dynamic::Var roomsVar = top->get("rooms");
        if (!isArray(roomsVar)) return wrongType("rooms", "an array", roomsVar);
        auto array = roomsVar.extract<Poco::JSON::Array::Ptr>();

        std::vector<RoomConfig> rooms;
        std::map<std::string, std::size_t> seen;  // name -> index
        for (std::size_t i = 0; i < array->size(); ++i) {
            const std::string where = "rooms[" + std::to_string(i) + "]";
            auto room = readRoom(where, array->get(static_cast<unsigned>(i)));
            if (!room) return room.error();
            auto [it, fresh] = seen.emplace(room->name, i);
            if (!fresh)
                return Error(400, where + ".name: " + shown(room->name) +
                                      " already used by rooms[" + std::to_string(it->second) + "]");
            rooms.push_back(std::move(*room));
        }

        std::vector<RouteConfig> routes;
        if (top->has("routes")) {
            Poco::Dynamic::Var routesVar = top->get("routes");
            if (!isArray(routesVar)) return wrongType("routes", "an array", routesVar);
            auto list = routesVar.extract<Poco::JSON::Array::Ptr>();
            std::map<std::string, std::size_t> ids;  // id -> index
            for (std::size_t i = 0; i < list->size(); ++i) {
                const std::string where = "routes[" + std::to_string(i) + "]";
                auto route = readRoute(where, list->get(static_cast<unsigned>(i)));
                if (!route) return route.error();
                auto [it, fresh] = ids.emplace(route->id, i);
                if (!fresh)
                    return Error(400, where + ".id: " + shown(route->id) +
                                          " already used by routes[" + std::to_string(it->second) +
                                          "]");
                routes.push_back(std::move(*route));
            }
        }
        return RoomsDocument{std::move(rooms), std::move(routes)};
    } catch (const Poco::Exception& e) {
        return Error(400, "rooms document: " + e.displayText());
    } catch (const std::exception& e) {
        return Error(400, std::string("rooms document: ") + e.what());
    }
}

Result<std::vector<RoomConfig>> loadRoomsFile(const std::filesystem::path& path) {
    auto document = loadRoomsDocument(path);
    if (!document) return document.error();
    return std::move(document->rooms);
}

Result<RoomsDocument> loadRoomsDocument(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return Error(500, "rooms file " + name + ": " + ec.message());
    if (size > kMaxRoomsDocument)
        return Error(400, "rooms file " + name + ": " + std::to_string(size) +
                              " bytes, more than the " + std::to_string(kMaxRoomsDocument) +
                              " allowed");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) return Error(500, "rooms file " + name + ": cannot read it");
    auto document = parseRoomsDocument(text.str());
    if (!document)
        return Error(document.error().code, "rooms file " + name + ": " + document.error().message);
    return document;
}

}  // namespace parley::as
