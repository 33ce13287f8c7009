// Call detail records and the recordings index of the RoomStore.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include <Poco/Data/Statement.h>

#include "as/store/room_store.hpp"
#include "as/store/store_db.hpp"

namespace parley::as {

using common::Error;
using common::Result;
using common::Status;
using namespace Poco::Data::Keywords;

namespace {

constexpr std::size_t kMaxCdrField = 1024;

Status checkText(const char* field, const std::string& value, std::size_t max) {
    if (value.size() > max)
        return Error(400, std::string(field) + ": at most " + std::to_string(max) + " bytes, got " +
                              std::to_string(value.size()));
    for (char c : value)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return Error(400, std::string(field) + ": control characters are not allowed");
    return {};
}

Poco::Int64 clampedOffset(std::size_t offset) {
    return static_cast<Poco::Int64>(std::min<std::size_t>(offset, INT64_MAX));
}

constexpr const char* kCdrColumns =
    "id, call_id, room, participant, from_uri, to_uri, direction, end_reason, started_at,"
    " joined_at, ended_at";

constexpr const char* kRecordingColumns =
    "id, room, participant, media_uri, state, started_at, ended_at, duration_ms";

Result<std::vector<RecordingRecord>> readRecordings(RoomStore::Db& db, const std::string& where,
                                                    const SqlValues& values) {
    std::vector<std::string> ids, rooms, participants, uris, states;
    std::vector<Poco::Int64> started, ended, durations;
    Poco::Data::Statement st(db.session);
    st << db.sql(std::string("SELECT ") + kRecordingColumns + " FROM recordings" + where),
        into(ids), into(rooms), into(participants), into(uris), into(states), into(started),
        into(ended), into(durations);
    bindAll(st, values);
    st.execute();
    std::vector<RecordingRecord> out;
    out.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        RecordingRecord r;
        r.id = ids[i];
        r.room = rooms[i];
        r.participant = participants[i];
        r.mediaUri = uris[i];
        r.state = states[i];
        r.startedAt = fromMicros(started[i]);
        r.endedAt = fromMicros(ended[i]);
        r.duration = std::chrono::milliseconds(durations[i]);
        if (auto ok = validateRecording(r); !ok)
            return db.failure("recording '" + r.id + "' stored invalid: " + ok.error().message);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

Status validateCdr(const CdrRecord& cdr) {
    const std::pair<const char*, const std::string*> fields[] = {
        {"callId", &cdr.callId}, {"room", &cdr.room}, {"participant", &cdr.participant},
        {"from", &cdr.from},     {"to", &cdr.to},     {"endReason", &cdr.endReason}};
    for (const auto& [name, value] : fields)
        if (auto ok = checkText(name, *value, kMaxCdrField); !ok) return ok;
    if (cdr.direction != "inbound" && cdr.direction != "outbound")
        return Error(400, "direction: must be inbound or outbound");
    return {};
}

Status validateRecording(const RecordingRecord& r) {
    if (r.id.empty() || r.id.size() > 128 || !std::all_of(r.id.begin(), r.id.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return std::isalnum(u) || c == '.' || c == '_' || c == '~' || c == '-';
        }))
        return Error(400, "id: must be 1..128 of A-Z a-z 0-9 . _ ~ -");
    RoomConfig room;
    room.name = r.room;
    if (auto ok = validateRoom(room); !ok) {
        std::string message = ok.error().message;
        if (message.rfind("name: ", 0) == 0) message = message.substr(6);
        return Error(400, "room: " + message);
    }
    if (auto ok = checkText("participant", r.participant, 128); !ok) return ok;
    if (auto ok = checkText("mediaUri", r.mediaUri, kMaxUrlLength); !ok) return ok;
    if (r.state != "recording" && r.state != "ready" && r.state != "failed")
        return Error(400, "state: must be recording, ready or failed");
    if (r.duration.count() < 0) return Error(400, "duration: must not be negative");
    return {};
}

Result<std::int64_t> RoomStore::addCdr(const CdrRecord& cdr) {
    if (auto ok = validateCdr(cdr); !ok) return ok.error();
    return guarded(*db_, [&]() -> Result<std::int64_t> {
        const SqlValues values = {cdr.callId,
                                  cdr.room,
                                  cdr.participant,
                                  cdr.from,
                                  cdr.to,
                                  cdr.direction,
                                  cdr.endReason,
                                  toMicros(cdr.startedAt),
                                  toMicros(cdr.joinedAt),
                                  toMicros(cdr.endedAt)};
        const std::string insert =
            "INSERT INTO cdrs (call_id, room, participant, from_uri, to_uri, direction,"
            " end_reason, started_at, joined_at, ended_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        Poco::Int64 id = 0;
        if (db_->dialect == SqlDialect::Postgres) {
            Poco::Data::Statement st(db_->session);
            st << db_->sql(insert + " RETURNING id"), into(id);
            bindAll(st, values);
            st.execute();
        } else {
            // One connection, used by the loop thread only: the rowid is ours.
            Poco::Data::Statement st(db_->session);
            st << insert;
            bindAll(st, values);
            st.execute();
            db_->session << "SELECT last_insert_rowid()", into(id), now;
        }
        if (id <= 0) return db_->failure("the database gave no id for the new CDR");
        return static_cast<std::int64_t>(id);
    });
}

Result<std::pair<std::vector<CdrRecord>, std::size_t>> RoomStore::listCdrs(
    const CdrQuery& q) const {
    using Page = std::pair<std::vector<CdrRecord>, std::size_t>;
    if (auto ok = checkPage(q.limit); !ok) return ok.error();
    return guarded(*db_, [&]() -> Result<Page> {
        std::string where;
        SqlValues values;
        auto add = [&](const char* condition, SqlValue value) {
            where += where.empty() ? " WHERE " : " AND ";
            where += condition;
            values.push_back(std::move(value));
        };
        if (!q.room.empty()) add("room = ?", q.room);
        if (q.since) add("started_at >= ?", toMicros(*q.since));
        if (q.until) add("started_at < ?", toMicros(*q.until));

        Poco::Int64 total = 0;
        Poco::Data::Statement count(db_->session);
        count << db_->sql("SELECT COUNT(*) FROM cdrs" + where), into(total);
        bindAll(count, values);
        count.execute();

        std::vector<Poco::Int64> ids, started, joined, ended;
        std::vector<std::string> callIds, rooms, participants, froms, tos, directions, reasons;
        Poco::Data::Statement st(db_->session);
        st << db_->sql(std::string("SELECT ") + kCdrColumns + " FROM cdrs" + where +
                       " ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?"),
            into(ids), into(callIds), into(rooms), into(participants), into(froms), into(tos),
            into(directions), into(reasons), into(started), into(joined), into(ended);
        values.emplace_back(static_cast<Poco::Int64>(q.limit));
        values.emplace_back(clampedOffset(q.offset));
        bindAll(st, values);
        st.execute();

        Page page;
        page.second = static_cast<std::size_t>(total);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            CdrRecord c;
            c.id = ids[i];
            c.callId = callIds[i];
            c.room = rooms[i];
            c.participant = participants[i];
            c.from = froms[i];
            c.to = tos[i];
            c.direction = directions[i];
            c.endReason = reasons[i];
            c.startedAt = fromMicros(started[i]);
            c.joinedAt = fromMicros(joined[i]);
            c.endedAt = fromMicros(ended[i]);
            page.first.push_back(std::move(c));
        }
        return page;
    });
}

Status RoomStore::putRecording(const RecordingRecord& r) {
    if (auto ok = validateRecording(r); !ok) return ok;
    return guarded(*db_, [&]() -> Status {
        Poco::Data::Statement st(db_->session);
        st << db_->sql(std::string("INSERT INTO recordings (") + kRecordingColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                       " room = excluded.room, participant = excluded.participant,"
                       " media_uri = excluded.media_uri, state = excluded.state,"
                       " started_at = excluded.started_at, ended_at = excluded.ended_at,"
                       " duration_ms = excluded.duration_ms");
        bindAll(st, {r.id, r.room, r.participant, r.mediaUri, r.state, toMicros(r.startedAt),
                     toMicros(r.endedAt), static_cast<Poco::Int64>(r.duration.count())});
        st.execute();
        return {};
    });
}

Result<std::optional<RecordingRecord>> RoomStore::findRecording(std::string_view id) const {
    return guarded(*db_, [&]() -> Result<std::optional<RecordingRecord>> {
        return firstRow(readRecordings(*db_, " WHERE id = ?", {std::string(id)}));
    });
}

Result<std::pair<std::vector<RecordingRecord>, std::size_t>> RoomStore::listRecordings(
    std::string_view room, std::size_t offset, std::size_t limit) const {
    using Page = std::pair<std::vector<RecordingRecord>, std::size_t>;
    if (auto ok = checkPage(limit); !ok) return ok.error();
    return guarded(*db_, [&]() -> Result<Page> {
        std::string where;
        SqlValues values;
        if (!room.empty()) {
            where = " WHERE room = ?";
            values.emplace_back(std::string(room));
        }
        Poco::Int64 total = 0;
        Poco::Data::Statement count(db_->session);
        count << db_->sql("SELECT COUNT(*) FROM recordings" + where), into(total);
        bindAll(count, values);
        count.execute();
        values.emplace_back(static_cast<Poco::Int64>(limit));
        values.emplace_back(clampedOffset(offset));
        auto rows = readRecordings(
            *db_, where + " ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?", values);
        if (!rows) return rows.error();
        return Page(std::move(*rows), static_cast<std::size_t>(total));
    });
}

}  // namespace parley::as
