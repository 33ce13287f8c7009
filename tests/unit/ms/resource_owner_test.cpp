#include <catch2/catch.hpp>

#include "ms/control/resource_owner.hpp"

namespace parley::ms {

TEST_CASE("ms: ResourceOwner registers, lists, forgets and releases newest first",
          "[ms][resources]") {
    std::vector<std::string> released;
    {
        ResourceOwner owner;
        CHECK(owner.add({ResourceKind::Conference, "c1", ""}, [&] { released.push_back("c1"); }));
        CHECK(owner.add({ResourceKind::Join, "a:b", "c1"}, [&] { released.push_back("join"); }));
        CHECK(owner.add({ResourceKind::IvrDialog, "d1", ""}, [&] { released.push_back("d1"); }));
        CHECK_FALSE(owner.add({ResourceKind::Conference, "c1", ""}, [] {}));
        CHECK(owner.add({ResourceKind::IvrDialog, "c1", ""},
                        [&] { released.push_back("dialog c1"); }));
        CHECK(owner.size() == 4);
        CHECK(owner.list(ResourceKind::Join).size() == 1);
        CHECK(owner.list(ResourceKind::Join)[0].id2 == "c1");
        CHECK(owner.contains(ResourceKind::IvrDialog, "d1"));

        CHECK(owner.remove(ResourceKind::IvrDialog, "d1"));
        CHECK_FALSE(owner.remove(ResourceKind::IvrDialog, "d1"));
        CHECK(owner.releaseAll() == 3);
        CHECK(owner.size() == 0);
        CHECK(owner.releaseAll() == 0);
    }
    CHECK(released == std::vector<std::string>{"dialog c1", "join", "c1"});
}

TEST_CASE("ms: ResourceOwner release functions may call back into the owner", "[ms][resources]") {
    ResourceOwner owner;
    int runs = 0;
    owner.add({ResourceKind::Conference, "c1", ""}, [&] { ++runs; });
    owner.add({ResourceKind::Join, "x", "c1"}, [&] {
        ++runs;
        // A join's end also ends the conference in some designs: removing is allowed,
        // adding is refused while releasing.
        owner.remove(ResourceKind::Conference, "c1");
        CHECK_FALSE(owner.add({ResourceKind::Conference, "c2", ""}, [] {}));
    });
    CHECK(owner.releaseAll() == 1);
    CHECK(runs == 1);
    CHECK(owner.size() == 0);
}

TEST_CASE("ms: ResourceOwner releases what is left when destroyed", "[ms][resources]") {
    int runs = 0;
    {
        ResourceOwner owner;
        owner.add({ResourceKind::IvrDialog, "d", ""}, [&] { ++runs; });
    }
    CHECK(runs == 1);
}

}  // namespace parley::ms
