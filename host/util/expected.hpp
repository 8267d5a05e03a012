// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a small value-or-error type (C++20 has no std::expected).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace pagewalk::host {

/// An error message, meant for a person: says what failed and why.
struct Error {
    std::string message;
};

/// Either a T or an Error. Errors are values here; the host never throws across its own API.
template <class T>
class Expected {
public:
    Expected(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Expected(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    [[nodiscard]] const std::string& error() const { return std::get<1>(v_).message; }

private:
    std::variant<T, Error> v_;
};

/// Success or an Error, for operations without a value.
using Status = Expected<std::monostate>;
inline Status ok_status() {
    return Status{std::monostate{}};
}

}  // namespace pagewalk::host
