#include <catch2/catch.hpp>

#include <string>

#include "as/apps/instructions.hpp"

using namespace parley::as::apps;

namespace {

Instruction one(const std::string& json) {
    auto r = parseInstructions(json);
    INFO(json << " -> " << (r ? std::string("ok") : r.error().message));
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    return r->front();
}

void refused(const std::string& json, int code, const std::string& part) {
    auto r = parseInstructions(json);
    INFO(json);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    INFO(r.error().message);
    CHECK(r.error().message.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("apps instructions: both list shapes and both verb forms", "[as_apps]") {
    auto a = parseInstructions(R"([{"verb":"answer"},{"hangup":{}}])");
    REQUIRE(a);
    REQUIRE(a->size() == 2);
    CHECK(std::holds_alternative<AnswerVerb>((*a)[0]));
    CHECK(std::holds_alternative<HangupVerb>((*a)[1]));
    auto b = parseInstructions(R"({"instructions":[{"play":"http://h/x.wav"},{"hangup":true}]})");
    REQUIRE(b);
    REQUIRE(b->size() == 2);
    CHECK(std::get<PlayVerb>((*b)[0]).url == "http://h/x.wav");
    auto empty = parseInstructions("[]");
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK(std::string(verbName((*b)[0])) == "play");
}

TEST_CASE("apps instructions: every verb with its options", "[as_apps]") {
    CHECK(std::get<RejectVerb>(one(R"([{"verb":"reject","status":603}])")).status == 603);
    CHECK(std::get<RejectVerb>(one(R"([{"reject":{}}])")).status == 486);

    auto play = std::get<PlayVerb>(one(R"([{"verb":"play","url":"https://h/a.wav","loop":3}])"));
    CHECK(play.url == "https://h/a.wav");
    CHECK(play.loop == 3);
    CHECK(std::get<PlayVerb>(one(R"([{"play":{"url":"file:///p/x.wav","loop":0}}])")).loop == 0);

    auto say = std::get<SayVerb>(one(R"([{"verb":"say","type":"date","value":"2024-05-01","format":"mdy"}])"));
    CHECK(say.type == "date");
    CHECK(say.value == "2024-05-01");
    CHECK(say.format == "mdy");
    CHECK(std::get<SayVerb>(one(R"([{"say":{"type":"time","value":"now"}}])")).value == "now");
    CHECK(std::get<SayVerb>(one(R"([{"say":{"type":"digits","value":"12#*"}}])")).value == "12#*");

    auto g = std::get<GatherVerb>(one(
        R"([{"verb":"gather","numDigits":4,"timeout":7,"finishOnKey":"*","actionUrl":"http://a/b","prompt":"http://p/q.wav"}])"));
    CHECK(g.numDigits == 4);
    CHECK(g.timeout == std::chrono::seconds(7));
    CHECK(g.finishOnKey == "*");
    CHECK(g.actionUrl == "http://a/b");
    CHECK(g.prompt == "http://p/q.wav");
    auto g2 = std::get<GatherVerb>(one(R"([{"gather":{"max":2,"finishOnKey":""}}])"));
    CHECK(g2.numDigits == 2);
    CHECK(g2.finishOnKey.empty());
    CHECK(g2.timeout == std::chrono::seconds(5));

    auto rec = std::get<RecordVerb>(one(R"([{"record":{"maxLength":30,"beep":false,"actionUrl":"https://x/y"}}])"));
    CHECK(rec.maxLength == std::chrono::seconds(30));
    CHECK_FALSE(rec.beep);
    CHECK(rec.actionUrl == "https://x/y");

    auto conf = std::get<ConferenceVerb>(one(R"([{"conference":{"room":"sales-1","muted":true,"role":"moderator"}}])"));
    CHECK(conf.room == "sales-1");
    CHECK(conf.muted);
    CHECK(conf.role == "moderator");

    auto dial = std::get<DialVerb>(
        one(R"([{"dial":{"uri":"sip:bob@127.0.0.1:5090","callerId":"sip:alice@x","timeout":20,"record":true}}])"));
    CHECK(dial.uri == "sip:bob@127.0.0.1:5090");
    CHECK(dial.callerId == "sip:alice@x");
    CHECK(dial.timeout == std::chrono::seconds(20));
    CHECK(dial.record);

    CHECK(std::get<RedirectVerb>(one(R"([{"redirect":{"url":"http://n/next"}}])")).url == "http://n/next");
    // Unknown option keys are ignored.
    CHECK(std::holds_alternative<AnswerVerb>(one(R"([{"verb":"answer","future":1}])")));
}

TEST_CASE("apps instructions: document errors", "[as_apps]") {
    refused("", 400, "not JSON");
    refused("<html>oops</html>", 400, "not JSON");
    refused("[{\"verb\":\"answer\"}", 400, "not JSON");
    refused("{\"verb\":\"answer\"}", 400, "expected an array");
    refused("\"answer\"", 400, "");  // Poco refuses a bare string as JSON
    refused("{\"instructions\":{}}", 400, "expected an array");
    refused("[1]", 400, "instructions[0]: must be an object");
    refused("[{\"verb\":7}]", 400, "verb: must be a string");
    refused("[{}]", 400, "needs a \"verb\"");
    refused("[{\"play\":{},\"hangup\":{}}]", 400, "needs a \"verb\"");
    refused("[{\"answer\":{}},{\"teleport\":{}}]", 400, "instructions[1]: unknown verb 'teleport'");
    refused("[{\"verb\":\"\\u0001x\"}]", 400, "unknown verb '?x'");
    refused("[{\"play\":5}]", 400, "options must be an object");
}

TEST_CASE("apps instructions: limits", "[as_apps]") {
    ParseLimits limits;
    limits.maxInstructions = 3;
    auto r = parseInstructions("[{\"answer\":{}},{\"answer\":{}},{\"answer\":{}},{\"answer\":{}}]", limits);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 413);
    limits.maxBodyBytes = 10;
    auto big = parseInstructions("[{\"answer\":{}}]", limits);
    REQUIRE_FALSE(big);
    CHECK(big.error().code == 413);
    std::string deep(5000, '[');
    auto d = parseInstructions(deep);  // unbalanced and deep: an error, never a crash
    CHECK_FALSE(d);
}

TEST_CASE("apps instructions: every option error", "[as_apps]") {
    refused(R"([{"reject":{"status":200}}])", 400, "reject: status: must be in 400..699");
    refused(R"([{"reject":{"status":"486"}}])", 400, "status: must be a number");
    refused(R"([{"reject":{"status":486.5}}])", 400, "status: must be a whole number");
    refused(R"([{"play":{}}])", 400, "play: url: is required");
    refused(R"([{"play":{"url":"ftp://x/y"}}])", 400, "url: must be an http(s) or file URL");
    refused(R"([{"play":{"url":"http://h/x","loop":101}}])", 400, "loop: must be in 0..100");
    refused(R"([{"play":{"url":7}}])", 400, "url: must be a string");
    refused(R"([{"say":{"value":"1"}}])", 400, "say: type: is required");
    refused(R"([{"say":{"type":"money","value":"1"}}])", 400, "type: must be digits, date or time");
    refused(R"([{"say":{"type":"digits"}}])", 400, "value: is required");
    refused(R"([{"say":{"type":"digits","value":"12x"}}])", 400, "value: must be 1..64");
    refused(R"([{"say":{"type":"date","value":"01/05/2024"}}])", 400, "value: must be YYYY-MM-DD");
    refused(R"([{"say":{"type":"time","value":"7pm"}}])", 400, "value: must be HH:MM");
    refused(R"([{"say":{"type":"time","value":"07:00","format":"a b"}}])", 400, "format: must be a short word");
    refused(R"([{"gather":{"numDigits":0}}])", 400, "gather: numDigits: must be in 1..64");
    refused(R"([{"gather":{"max":65}}])", 400, "max: must be in 1..64");
    refused(R"([{"gather":{"timeout":0}}])", 400, "timeout: must be in 1..120");
    refused(R"([{"gather":{"finishOnKey":"##"}}])", 400, "finishOnKey: must be one DTMF key");
    refused(R"([{"gather":{"finishOnKey":"x"}}])", 400, "finishOnKey: must be one DTMF key");
    refused(R"([{"gather":{"actionUrl":"/relative"}}])", 400, "actionUrl: must be an http(s) URL");
    refused(R"([{"gather":{"prompt":"nope"}}])", 400, "prompt: must be an http(s) or file URL");
    refused(R"([{"record":{"maxLength":0}}])", 400, "record: maxLength: must be in 1..3600");
    refused(R"([{"record":{"beep":"yes"}}])", 400, "beep: must be true or false");
    refused(R"([{"record":{"actionUrl":"http://"}}])", 400, "actionUrl: must be an http(s) URL");
    refused(R"([{"conference":{}}])", 400, "conference: room: is required");
    refused(R"([{"conference":{"room":"a b"}}])", 400, "room: must be 1..64");
    refused(R"([{"conference":{"room":"r","role":"boss"}}])", 400, "role: must be participant or moderator");
    refused(R"([{"conference":{"room":"r","muted":1}}])", 400, "muted: must be true or false");
    refused(R"([{"dial":{}}])", 400, "dial: uri: is required");
    refused(R"([{"dial":{"uri":"mailto:x@y"}}])", 400, "uri: must be a sip:, sips: or tel: URI");
    refused(R"([{"dial":{"uri":"sip:a b@c"}}])", 400, "uri: must be a sip:, sips: or tel: URI");
    refused(R"([{"dial":{"uri":"sip:b@h","callerId":"bob"}}])", 400, "callerId: must be a sip:");
    refused(R"([{"dial":{"uri":"sip:b@h","timeout":121}}])", 400, "timeout: must be in 1..120");
    refused(R"([{"dial":{"uri":"sip:b@h","record":"no"}}])", 400, "record: must be true or false");
    refused(R"([{"redirect":{}}])", 400, "redirect: url: is required");
    refused(R"([{"redirect":{"url":"sip:x@y"}}])", 400, "url: must be an http(s) URL");
}

TEST_CASE("apps instructions: isHttpUrl", "[as_apps]") {
    CHECK(isHttpUrl("http://a"));
    CHECK(isHttpUrl("https://a:8443/p?q=1"));
    CHECK_FALSE(isHttpUrl("http://"));
    CHECK_FALSE(isHttpUrl("http:///x"));
    CHECK_FALSE(isHttpUrl("https://a b"));
    CHECK_FALSE(isHttpUrl("file:///x"));
}
