#include "as/store/room_store.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "as/store/store_db.hpp"

namespace parley::as {

using common::Error;
using common::Result;
using common::Status;

namespace {

// --- validation ---

// A byte as a reader can see it in an error message: 'x', or \xNN when not printable.
std::string showByte(unsigned char c) {
    if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    return buf;
}

// ASCII only, whatever the process locale says.
bool isAsciiAlpha(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isAsciiAlnum(unsigned char c) {
    return isAsciiAlpha(c) || (c >= '0' && c <= '9');
}

bool isNameChar(unsigned char c) {
    return isAsciiAlnum(c) || c == '.' || c == '_' || c == '~' || c == '-';
}

Status checkPin(std::string_view field, const std::string& pin) {
    if (pin.empty()) return {};
    if (pin.size() > 16)
        return Error(400,
                     std::string(field) + ": at most 16 digits, got " + std::to_string(pin.size()));
    for (std::size_t i = 0; i < pin.size(); ++i) {
        auto c = static_cast<unsigned char>(pin[i]);
        if (c < '0' || c > '9')
            return Error(400, std::string(field) + ": only digits 0-9, got " + showByte(c) +
                                  " at position " + std::to_string(i + 1));
    }
    return {};
}

// Length of the UTF-8 sequence starting at s[i] when it is well formed, else 0.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
        cp = c & 0x07;
    } else
        return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

Status checkDisplayName(const std::string& text) {
    if (text.size() > 256)
        return Error(400, "displayName: at most 256 bytes, got " + std::to_string(text.size()));
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f)
            return Error(400, "displayName: control character " + showByte(c) + " at byte " +
                                  std::to_string(i + 1));
        std::size_t n = utf8SequenceLength(text, i);
        if (n == 0)
            return Error(400, "displayName: not valid UTF-8 at byte " + std::to_string(i + 1));
        i += n;
    }
    return {};
}

Status checkPatterns(std::string_view field, const std::vector<std::string>& patterns) {
    if (patterns.size() > kMaxPatterns)
        return Error(400, std::string(field) + ": at most " + std::to_string(kMaxPatterns) +
                              " patterns, got " + std::to_string(patterns.size()));
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        const std::string& p = patterns[i];
        std::string where = std::string(field) + "[" + std::to_string(i) + "]";
        if (p.empty()) return Error(400, where + ": empty pattern");
        if (p.size() > kMaxPatternLength)
            return Error(400, where + ": at most " + std::to_string(kMaxPatternLength) +
                                  " characters, got " + std::to_string(p.size()));
        for (std::size_t k = 0; k < p.size(); ++k) {
            auto c = static_cast<unsigned char>(p[k]);
            if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
                return Error(400, where + ": " + showByte(c) + " at position " +
                                      std::to_string(k + 1) + " cannot be part of a URI pattern");
        }
    }
    return {};
}

// --- URI matching ---

// The part of `uri` compared without regard to case: [0, schemeEnd) and [hostBegin, hostEnd).
struct CaselessSpans {
    std::size_t schemeEnd = 0;
    std::size_t hostBegin = 0;
    std::size_t hostEnd = 0;

    bool contains(std::size_t i) const { return i < schemeEnd || (i >= hostBegin && i < hostEnd); }
};

CaselessSpans caselessSpans(std::string_view uri) {
    CaselessSpans s;
    std::size_t colon = uri.find(':');
    bool scheme = colon != std::string_view::npos && colon > 0 &&
                  isAsciiAlpha(static_cast<unsigned char>(uri[0]));
    for (std::size_t i = 0; scheme && i < colon; ++i) {
        auto c = static_cast<unsigned char>(uri[i]);
        scheme = isAsciiAlnum(c) || c == '+' || c == '-' || c == '.';
    }
    std::size_t rest = scheme ? colon + 1 : 0;
    s.schemeEnd = scheme ? colon : 0;
    // User parts may hold ';' and '?' but never a bare '@'; parameters and headers neither.
    std::size_t at = uri.rfind('@');
    s.hostBegin = at != std::string_view::npos && at >= rest ? at + 1 : rest;
    if (s.hostBegin < uri.size() && uri[s.hostBegin] == '[') {
        std::size_t close = uri.find(']', s.hostBegin);
        s.hostEnd = close == std::string_view::npos ? uri.size() : close + 1;
    } else {
        std::size_t end = uri.find_first_of(":;?>", s.hostBegin);
        s.hostEnd = end == std::string_view::npos ? uri.size() : end;
    }
    return s;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr const char* kRoomColumns =
    "name, display_name, pin, moderator_pin, max_participants, locked, wait_for_moderator,"
    " end_when_moderator_leaves, mute_on_join, announce_join_leave, record_names,"
    " allow_patterns, deny_patterns, record_from_start, events_url";

std::string patternsToJson(const std::vector<std::string>& patterns) {
    Poco::JSON::Array array;
    for (const auto& p : patterns) array.add(p);
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

Result<std::vector<std::string>> patternsFromJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(text);
        if (value.type() != typeid(Poco::JSON::Array::Ptr)) return Error(500, "not a JSON array");
        auto array = value.extract<Poco::JSON::Array::Ptr>();
        std::vector<std::string> out;
        for (std::size_t i = 0; i < array->size(); ++i) {
            auto item = array->get(static_cast<unsigned>(i));
            if (!item.isString())
                return Error(500, "item " + std::to_string(i) + " is not a string");
            out.push_back(item.extract<std::string>());
        }
        return out;
    } catch (const Poco::Exception& e) {
        return Error(500, e.displayText());
    }
}

}  // namespace

Status validateRoom(const RoomConfig& room) {
    if (room.name.empty()) return Error(400, "name: missing");
    if (room.name.size() > 64)
        return Error(400, "name: at most 64 characters, got " + std::to_string(room.name.size()));
    for (std::size_t i = 0; i < room.name.size(); ++i) {
        auto c = static_cast<unsigned char>(room.name[i]);
        if (!isNameChar(c))
            return Error(400, "name: " + showByte(c) + " at position " + std::to_string(i + 1) +
                                  " is not one of A-Z a-z 0-9 . _ ~ -");
    }
    if (auto ok = checkDisplayName(room.displayName); !ok) return ok;
    if (auto ok = checkPin("pin", room.pin); !ok) return ok;
    if (auto ok = checkPin("moderatorPin", room.moderatorPin); !ok) return ok;
    if (!room.moderatorPin.empty() && room.moderatorPin == room.pin)
        return Error(400, "moderatorPin: must differ from pin");
    if (auto ok = checkPatterns("allow", room.allow); !ok) return ok;
    if (auto ok = checkPatterns("deny", room.deny); !ok) return ok;
    if (!room.eventsUrl.empty() && !isHttpUrl(room.eventsUrl))
        return Error(400, "eventsUrl: must be an http:// or https:// URL with a host, at most " +
                              std::to_string(kMaxUrlLength) + " characters, no spaces");
    return {};
}

bool uriMatches(std::string_view pattern, std::string_view uri) {
    const CaselessSpans caseless = caselessSpans(uri);
    auto same = [&](char p, std::size_t u) {
        return caseless.contains(u) ? lower(p) == lower(uri[u]) : p == uri[u];
    };
    // Greedy matching that backtracks only to the last '*': O(pattern x uri) at worst.
    std::size_t p = 0;
    std::size_t u = 0;
    std::size_t starP = std::string_view::npos;
    std::size_t starU = 0;
    while (u < uri.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starU = u;
        } else if (p < pattern.size() && same(pattern[p], u)) {
            ++p;
            ++u;
        } else if (starP != std::string_view::npos) {
            p = starP + 1;
            u = ++starU;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool roomAdmits(const RoomConfig& room, std::string_view uri) {
    auto matches = [&](const std::string& p) { return uriMatches(p, uri); };
    if (std::any_of(room.deny.begin(), room.deny.end(), matches)) return false;
    return room.allow.empty() || std::any_of(room.allow.begin(), room.allow.end(), matches);
}

// --- RoomStore: rooms ---

namespace {

using namespace Poco::Data::Keywords;

// Reads the rooms selected by `where` (with its '?' bound to `values`) and `tail` (ORDER
// BY, LIMIT ...).
Result<std::vector<RoomConfig>> readRooms(RoomStore::Db& db, const std::string& where,
                                          const SqlValues& values) {
    std::vector<std::string> names, displayNames, pins, moderatorPins, allows, denies, events;
    std::vector<Poco::Int64> maxParticipants;
    std::vector<int> locked, waitForModerator, endWhenModeratorLeaves, muteOnJoin, announce,
        recordNames, recordFromStart;
    Poco::Data::Statement st(db.session);
    st << db.sql(std::string("SELECT ") + kRoomColumns + " FROM rooms" + where), into(names),
        into(displayNames), into(pins), into(moderatorPins), into(maxParticipants), into(locked),
        into(waitForModerator), into(endWhenModeratorLeaves), into(muteOnJoin), into(announce),
        into(recordNames), into(allows), into(denies), into(recordFromStart), into(events);
    bindAll(st, values);
    st.execute();

    std::vector<RoomConfig> rooms;
    rooms.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        RoomConfig r;
        r.name = names[i];
        r.displayName = displayNames[i];
        r.pin = pins[i];
        r.moderatorPin = moderatorPins[i];
        if (maxParticipants[i] < 0 || maxParticipants[i] > 0xffffffffLL)
            return db.failure("room '" + r.name + "' has max_participants " +
                              std::to_string(maxParticipants[i]) + ", out of range");
        r.maxParticipants = static_cast<std::uint32_t>(maxParticipants[i]);
        r.locked = locked[i] != 0;
        r.waitForModerator = waitForModerator[i] != 0;
        r.endWhenModeratorLeaves = endWhenModeratorLeaves[i] != 0;
        r.muteOnJoin = muteOnJoin[i] != 0;
        r.announceJoinLeave = announce[i] != 0;
        r.recordNames = recordNames[i] != 0;
        r.recordFromStart = recordFromStart[i] != 0;
        r.eventsUrl = events[i];
        auto allow = patternsFromJson(allows[i]);
        if (!allow)
            return db.failure("room '" + r.name + "' allow_patterns: " + allow.error().message);
        r.allow = std::move(*allow);
        auto deny = patternsFromJson(denies[i]);
        if (!deny)
            return db.failure("room '" + r.name + "' deny_patterns: " + deny.error().message);
        r.deny = std::move(*deny);
        if (auto ok = validateRoom(r); !ok)
            return db.failure("room '" + r.name + "' stored invalid: " + ok.error().message);
        rooms.push_back(std::move(r));
    }
    return rooms;
}

}  // namespace

Result<std::optional<RoomConfig>> RoomStore::find(std::string_view name) const {
    return guarded(*db_, [&]() -> Result<std::optional<RoomConfig>> {
        return firstRow(readRooms(*db_, " WHERE name = ?", {std::string(name)}));
    });
}

Result<std::vector<RoomConfig>> RoomStore::list() const {
    return guarded(*db_, [&] { return readRooms(*db_, " ORDER BY name", {}); });
}

Result<std::pair<std::vector<RoomConfig>, std::size_t>> RoomStore::query(const RoomQuery& q) const {
    using Page = std::pair<std::vector<RoomConfig>, std::size_t>;
    if (auto ok = checkPage(q.limit); !ok) return ok.error();
    return guarded(*db_, [&]() -> Result<Page> {
        std::string where;
        SqlValues values;
        auto add = [&](const char* condition) {
            where += where.empty() ? " WHERE " : " AND ";
            where += condition;
        };
        if (!q.namePrefix.empty()) {
            // substr counts characters on both databases; names are ASCII.
            add("substr(name, 1, ?) = ?");
            values.emplace_back(static_cast<Poco::Int64>(q.namePrefix.size()));
            values.emplace_back(q.namePrefix);
        }
        if (q.locked) {
            add("locked = ?");
            values.emplace_back(static_cast<Poco::Int64>(*q.locked ? 1 : 0));
        }
        Poco::Int64 total = 0;
        Poco::Data::Statement count(db_->session);
        count << db_->sql("SELECT COUNT(*) FROM rooms" + where), into(total);
        bindAll(count, values);
        count.execute();

        SqlValues pageValues = values;
        pageValues.emplace_back(static_cast<Poco::Int64>(q.limit));
        pageValues.emplace_back(static_cast<Poco::Int64>(
            std::min<std::size_t>(q.offset, static_cast<std::size_t>(INT64_MAX))));
        auto rooms = readRooms(*db_, where + " ORDER BY name LIMIT ? OFFSET ?", pageValues);
        if (!rooms) return rooms.error();
        return Page(std::move(*rooms), static_cast<std::size_t>(total));
    });
}

Status RoomStore::put(const RoomConfig& room) {
    if (room.adHoc)
        return Error(
            400, "room '" + room.name + "' is ad hoc (made by the conference factory): not stored");
    if (auto ok = validateRoom(room); !ok) return ok;
    return guarded(*db_, [&]() -> Status {
        auto flag = [](bool b) { return SqlValue(static_cast<Poco::Int64>(b ? 1 : 0)); };
        SqlValues values = {room.name,
                            room.displayName,
                            room.pin,
                            room.moderatorPin,
                            static_cast<Poco::Int64>(room.maxParticipants),
                            flag(room.locked),
                            flag(room.waitForModerator),
                            flag(room.endWhenModeratorLeaves),
                            flag(room.muteOnJoin),
                            flag(room.announceJoinLeave),
                            flag(room.recordNames),
                            patternsToJson(room.allow),
                            patternsToJson(room.deny),
                            flag(room.recordFromStart),
                            room.eventsUrl};
        Poco::Data::Statement st(db_->session);
        st << db_->sql(
            std::string("INSERT INTO rooms (") + kRoomColumns +
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET"
            " display_name = excluded.display_name, pin = excluded.pin,"
            " moderator_pin = excluded.moderator_pin,"
            " max_participants = excluded.max_participants, locked = excluded.locked,"
            " wait_for_moderator = excluded.wait_for_moderator,"
            " end_when_moderator_leaves = excluded.end_when_moderator_leaves,"
            " mute_on_join = excluded.mute_on_join,"
            " announce_join_leave = excluded.announce_join_leave,"
            " record_names = excluded.record_names,"
            " allow_patterns = excluded.allow_patterns, deny_patterns = excluded.deny_patterns,"
            " record_from_start = excluded.record_from_start, events_url = excluded.events_url");
        bindAll(st, values);
        st.execute();
        return {};
    });
}

Result<bool> RoomStore::remove(std::string_view name) {
    return guarded(*db_, [&]() -> Result<bool> {
        Poco::Data::Statement st(db_->session);
        st << db_->sql("DELETE FROM rooms WHERE name = ?");
        bindAll(st, {std::string(name)});
        return st.execute() > 0;
    });
}

}  // namespace parley::as
