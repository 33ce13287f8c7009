#pragma once
// JSON at the edge of the REST API: request bodies into checked values (every error names
// the field: Error{400, "<field>: <what is wrong>"}), model objects into response JSON, and
// Error -> HTTP error response. Pure functions, any thread, nothing throws out.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "as/focus/focus.hpp"
#include "as/store/room_store.hpp"
#include "common/http_server.hpp"
#include "common/result.hpp"

namespace parley::as::api {

using JsonObject = Poco::JSON::Object::Ptr;

// The body as one JSON object (at most 32 levels deep). An empty body is an empty object
// when `emptyIsObject`. Errors: Error{400, "body: ..."}.
common::Result<JsonObject> parseObject(const std::string& body, bool emptyIsObject = false);

// 400 naming the first member of `body` that is not in `known`.
common::Status onlyKnown(const JsonObject& body, std::initializer_list<const char*> known);

// Typed members; absent (or, for strings, not wanted as null) -> nullopt; wrong type -> 400.
common::Status readBool(const JsonObject& body, const char* name, std::optional<bool>& out);
common::Status readString(const JsonObject& body, const char* name, std::optional<std::string>& out,
                          std::size_t maxBytes = 1024);
common::Status readUint(const JsonObject& body, const char* name, std::optional<std::uint64_t>& out,
                        std::uint64_t min, std::uint64_t max);
common::Status readNumber(const JsonObject& body, const char* name, std::optional<double>& out, double min,
                          double max);
common::Status readStrings(const JsonObject& body, const char* name,
                           std::optional<std::vector<std::string>>& out, std::size_t maxItems = 256,
                           std::size_t maxBytes = 256);

// Query parameters: "true"/"false"; unsigned within [min, max]. Errors name the parameter.
common::Status queryBool(const common::HttpRequest& r, const char* name, std::optional<bool>& out);
common::Status queryUint(const common::HttpRequest& r, const char* name, std::uint64_t& out,
                         std::uint64_t min, std::uint64_t max);

// Error -> response: HTTP statuses pass through with their code word; SIP-only 4xx
// statuses (486, 480...) become 409, other codes 500 (or 503 for 5xx).
common::HttpResponse errorResponse(const common::Error& error);
common::HttpResponse loopBusy();
std::string codeWord(int status);

// Conference members of a create (`creating`: "name" allowed) or PATCH body applied to `room`.
common::Status applyRoomFields(const JsonObject& body, RoomConfig& room, bool creating);
// Config plus run-time state; `live` null when the room is not active.
Poco::JSON::Object roomJson(const RoomConfig& room, const RoomStatus* live, const std::string& uri);
Poco::JSON::Object participantJson(const ParticipantInfo& p);
Poco::JSON::Object recordingJson(const RecordingRecord& r);

std::string stringify(const Poco::JSON::Object& o);
std::string stringify(const Poco::JSON::Array& a);
// "null" for the epoch, else formatUtc().
Poco::Dynamic::Var timeOrNull(std::chrono::system_clock::time_point t);

}  // namespace parley::as::api
