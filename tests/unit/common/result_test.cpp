#include <catch2/catch.hpp>

#include <memory>

#include "common/result.hpp"

using parley::common::Error;
using parley::common::Result;
using parley::common::Status;

namespace {
Result<int> half(int x) {
    if (x % 2) return Error(400, "odd");
    return x / 2;
}
}  // namespace

TEST_CASE("result: value or error") {
    auto a = half(4);
    REQUIRE(a.ok());
    CHECK(*a == 2);
    auto b = half(3);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == 400);
    CHECK(b.error().message == "odd");
    CHECK(b.valueOr(7) == 7);

    Result<std::unique_ptr<int>> moved(std::make_unique<int>(5));
    std::unique_ptr<int> p = std::move(moved).value();
    CHECK(*p == 5);

    Status ok;
    CHECK(ok.ok());
    Status bad = Error(1, "x");
    CHECK_FALSE(bad.ok());
    CHECK(bad.error().message == "x");
}
