#pragma once
// Result<T>: a value or an Error, for fallible operations at library boundaries.
//
// Contract: network-facing code never throws; it returns Result. Accessing value() on an
// error (or error() on a value) is a programming error and asserts.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace parley::common {

struct Error {
    int code = 0;          // protocol status where one applies (CFW 400, package 406...), else errno or 0
    std::string message;   // for logs and for the reason attributes of the protocols

    Error() = default;
    Error(int c, std::string m) : code(c), message(std::move(m)) {}
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(v_); }

    T valueOr(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { assert(!ok_); return err_; }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

inline Error makeError(int code, std::string message) { return Error(code, std::move(message)); }

}  // namespace parley::common
