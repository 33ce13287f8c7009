// Webhook signatures (RFC 4231 HMAC-SHA256 vectors), the backoff schedule, the sender's
// queue bound. Deliveries over real sockets are in tests/component/as_webhooks.
#include <catch2/catch.hpp>

#include <thread>

#include "as/events/webhook_sender.hpp"

using namespace std::chrono_literals;
using parley::as::AsEvent;
using parley::as::backoffDelay;
using parley::as::hmacSha256Hex;
using parley::as::WebhookOptions;
using parley::as::WebhookSender;
using parley::as::webhookSignature;

namespace {

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

AsEvent hookEvent(const std::string& url, const std::string& type = "participant.joined") {
    AsEvent e;
    e.type = type;
    e.room = "r1";
    e.eventsUrl = url;
    return e;
}

}  // namespace

TEST_CASE("as events2: HMAC-SHA256 matches the RFC 4231 vectors", "[as_events2]") {
    // RFC 4231 test case 2
    CHECK(hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // RFC 4231 test case 1: key 0x0b x 20
    CHECK(hmacSha256Hex(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("as events2: the webhook signature covers timestamp and body", "[as_events2]") {
    // Computed independently (Python hmac) over "1700000000.{\"a\":1}" with key "k3y".
    CHECK(webhookSignature("k3y", "1700000000", R"({"a":1})") ==
          "sha256=fd5a70e965043f7df6309c2c3b5ff5a8ffa99b1f5175e9a311459e73c4634d4a");
    CHECK(webhookSignature("k3y", "1700000001", R"({"a":1})") !=
          webhookSignature("k3y", "1700000000", R"({"a":1})"));
    CHECK(webhookSignature("k3z", "1700000000", R"({"a":1})") !=
          webhookSignature("k3y", "1700000000", R"({"a":1})"));
}

TEST_CASE("as events2: backoff doubles from 1 s and stops at 60 s", "[as_events2]") {
    const auto d = [](int n) { return backoffDelay(n, 1000ms, 60000ms).count(); };
    CHECK(d(0) == 0);
    CHECK(d(1) == 1000);
    CHECK(d(2) == 2000);
    CHECK(d(3) == 4000);
    CHECK(d(6) == 32000);
    CHECK(d(7) == 60000);
    CHECK(d(8) == 60000);
    CHECK(d(1000) == 60000);
    CHECK(backoffDelay(3, 50ms, 120ms).count() == 120);
}

TEST_CASE("as events2: events without an eventsUrl are not queued", "[as_events2]") {
    WebhookSender sender(WebhookOptions{"s", 10, 3, 1000ms, 1, 1000ms, 60000ms, {}});
    sender.enqueue(hookEvent(""));
    CHECK(sender.stats().enqueued == 0);
}

TEST_CASE("as events2: a full queue drops the oldest waiting events and counts them",
          "[as_events2]") {
    // The receiver cannot be reached (not an http URL): its first event fails and then
    // waits an hour in backoff, so the others stay queued.
    WebhookSender sender(WebhookOptions{"s", 3, 5, 1000ms, 1, 3600s, 3600s, {}});
    sender.enqueue(hookEvent("ftp://nowhere.invalid/x"));
    REQUIRE(eventually([&] { return sender.stats().failedAttempts == 1; }));
    for (int i = 0; i < 5; ++i) sender.enqueue(hookEvent("ftp://nowhere.invalid/x"));
    auto s = sender.stats();
    CHECK(s.enqueued == 6);
    CHECK(s.queued == 3);
    CHECK(s.dropped == 2);
    // Another receiver's new event pushes out the oldest of all, not its own.
    // (That event is then taken at once: it fails and waits in backoff, outside the queue.)
    sender.enqueue(hookEvent("ftp://elsewhere.invalid/y"));
    CHECK(sender.stats().dropped == 3);
    REQUIRE(eventually([&] { return sender.stats().failedAttempts == 2; }));
    CHECK(sender.stats().queued == 2);
    sender.stop();
    s = sender.stats();
    CHECK(s.queued == 0);
    CHECK(s.dropped == 3 + 2 + 2);  // the waiting ones and the two in backoff
    sender.enqueue(hookEvent("ftp://nowhere.invalid/x"));
    CHECK(sender.stats().enqueued == 7);  // after stop: dropped, not queued
}

TEST_CASE("as events2: an event is given up after maxAttempts", "[as_events2]") {
    WebhookSender sender(WebhookOptions{"s", 10, 3, 1000ms, 1, 1ms, 5ms, {}});
    sender.enqueue(hookEvent("ftp://nowhere.invalid/x"));
    REQUIRE(eventually([&] { return sender.stats().givenUp == 1; }));
    CHECK(sender.stats().failedAttempts == 3);
    CHECK(sender.stats().delivered == 0);
}

TEST_CASE("as events2: the sender follows a bus it is attached to", "[as_events2]") {
    parley::as::EventBus bus;
    WebhookSender sender(WebhookOptions{"s", 10, 1, 1000ms, 1, 3600s, 3600s, {}});
    sender.attach(bus);
    bus.publish(hookEvent("ftp://nowhere.invalid/x"));
    bus.publish(hookEvent(""));
    CHECK(sender.stats().enqueued == 1);
    sender.detach();
    CHECK(bus.listenerCount() == 0);
    bus.publish(hookEvent("ftp://nowhere.invalid/x"));
    CHECK(sender.stats().enqueued == 1);
}
