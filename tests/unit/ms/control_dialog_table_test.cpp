#include <catch2/catch.hpp>

#include "ms/control/control_dialog_table.hpp"

namespace parley::ms {

namespace {
ControlDialogInfo info(std::string as, std::string ms) {
    ControlDialogInfo i;
    i.asCfwId = std::move(as);
    i.msCfwId = std::move(ms);
    i.callId = "call-" + i.asCfwId;
    return i;
}
}  // namespace

TEST_CASE("ms: ControlDialogTable: cfw-ids are unique among live dialogs", "[ms][dialogs]") {
    ControlDialogTable t;
    REQUIRE(t.add(info("as1", "ms1"), [] {}));
    auto dup = t.add(info("as1", "ms2"), [] {});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == 488);
    CHECK_FALSE(t.add(info("ms1", "x"), [] {}));  // the offer reuses our own cfw-id
    CHECK_FALSE(t.add(info("as2", "as1"), [] {}));
    CHECK(t.cfwIdInUse("as1"));
    CHECK(t.cfwIdInUse("ms1"));
    CHECK(t.size() == 1);
    t.remove("as1", "over");
    CHECK(t.add(info("as1", "ms9"), [] {}));
}

TEST_CASE("ms: ControlDialogTable: SYNC binds by either cfw-id, once", "[ms][dialogs]") {
    ControlDialogTable t;
    REQUIRE(t.add(info("as1", "ms1"), [] {}));
    auto unknown = t.bind("nope", 1);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == 481);

    auto k = t.bind("ms1", 7);
    REQUIRE(k);
    CHECK(*k == "as1");
    CHECK(t.find("as1")->channel == 7);
    CHECK(t.bind("as1", 7));  // the same connection again: fine (renegotiation)
    auto other = t.bind("as1", 8);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == 481);
    CHECK(t.boundCount() == 1);

    t.unbind("as1", 8);  // not the bound one: no effect
    CHECK(t.find("as1")->channel == 7);
    t.unbind("as1", 7);
    CHECK(t.find("as1")->channel == 0);
    CHECK(t.bind("as1", 8));
}

TEST_CASE("ms: ControlDialogTable: hang-up runs once and an ending dialog does not bind",
          "[ms][dialogs]") {
    ControlDialogTable t;
    int byes = 0;
    REQUIRE(t.add(info("as1", "ms1"), [&] { ++byes; }));
    REQUIRE(t.bind("as1", 3));
    t.hangUp("as1", "keep-alive expired");
    t.hangUp("as1", "again");
    CHECK(byes == 1);
    CHECK(t.find("as1")->ending);
    t.unbind("as1", 3);
    CHECK_FALSE(t.bind("as1", 4));
    CHECK(t.cfwIdInUse("as1"));  // reserved until SIP says the dialog is over
    t.remove("as1", "BYE answered");
    CHECK(t.size() == 0);
}

TEST_CASE("ms: ControlDialogTable: the end of a dialog reaches its bound channel",
          "[ms][dialogs]") {
    ControlDialogTable t;
    std::vector<ChannelId> gone;
    t.setOnGone([&](ChannelId c, const std::string&) { gone.push_back(c); });
    REQUIRE(t.add(info("as1", "ms1"), [] {}));
    REQUIRE(t.add(info("as2", "ms2"), [] {}));
    REQUIRE(t.bind("as1", 11));
    t.remove("as2", "BYE");  // unbound: nobody to tell
    t.remove("as1", "BYE");
    CHECK(gone == std::vector<ChannelId>{11});

    int byes = 0;
    REQUIRE(t.add(info("a", "b"), [&] { ++byes; }));
    REQUIRE(t.add(info("c", "d"), [&] { ++byes; }));
    t.hangUpAll("shutdown");
    CHECK(byes == 2);
}

}  // namespace parley::ms
