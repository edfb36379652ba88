// Errors as values: Error, ErrorOr<T>, and the TRY macro.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace corral {

// What kind of failure this is; the API layer maps kinds to HTTP status codes and the CLI to
// exit codes, so callers never parse messages.
enum class ErrorKind {
    internal,          // a bug or an unexpected system failure
    invalid_argument,  // the caller's input is wrong (400)
    not_found,         // no such thing (404)
    conflict,          // name taken, wrong state (409)
    too_large,         // over a limit (413)
    not_modified,      // already in the requested state (304)
    unavailable,       // a peer or device cannot be reached
    permission_denied,
    unsupported,
};

class Error {
  public:
    Error(ErrorKind kind, std::string message, int errno_value = 0)
        : kind_(kind), message_(std::move(message)), errno_(errno_value) {}

    // A failed system call: "mount `/sys/fs/cgroup`: Device or resource busy".
    static Error from_errno(std::string_view call, std::string_view subject, int errno_value);
    static Error from_errno(std::string_view call, int errno_value) {
        return from_errno(call, {}, errno_value);
    }
    static Error invalid(std::string message) {
        return {ErrorKind::invalid_argument, std::move(message)};
    }
    static Error not_found(std::string message) {
        return {ErrorKind::not_found, std::move(message)};
    }
    static Error conflict(std::string message) { return {ErrorKind::conflict, std::move(message)}; }
    static Error internal(std::string message) { return {ErrorKind::internal, std::move(message)}; }

    ErrorKind kind() const { return kind_; }
    const std::string& message() const { return message_; }
    int errno_value() const { return errno_; }

    // Adds context in front: "load image: " + "open `x`: ENOENT".
    Error with_context(std::string_view context) &&;

  private:
    ErrorKind kind_;
    std::string message_;
    int errno_;
};

template <typename T>
class [[nodiscard]] ErrorOr {
  public:
    ErrorOr(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
    ErrorOr(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
    template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error>) ErrorOr(U&& value)  // NOLINT
        : storage_(std::in_place_index<0>, T(std::forward<U>(value))) {}

    bool is_error() const { return storage_.index() == 1; }
    explicit operator bool() const { return !is_error(); }

    T& value() & { return std::get<0>(storage_); }
    const T& value() const& { return std::get<0>(storage_); }
    T&& value() && { return std::get<0>(std::move(storage_)); }
    T release_value() { return std::get<0>(std::move(storage_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }

    const Error& error() const& { return std::get<1>(storage_); }
    Error&& error() && { return std::get<1>(std::move(storage_)); }
    Error release_error() { return std::get<1>(std::move(storage_)); }

  private:
    std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] ErrorOr<void> {
  public:
    ErrorOr() = default;
    ErrorOr(Error error) : error_(std::move(error)), has_error_(true) {}  // NOLINT

    bool is_error() const { return has_error_; }
    explicit operator bool() const { return !has_error_; }
    void value() const {}
    void release_value() {}
    const Error& error() const& { return error_; }
    Error&& error() && { return std::move(error_); }
    Error release_error() { return std::move(error_); }

  private:
    Error error_{ErrorKind::internal, {}};
    bool has_error_ = false;
};

}  // namespace corral

// Evaluates an ErrorOr expression; returns its error from the enclosing function, or yields the
// value. Uses a statement expression (GCC and Clang).
#define TRY(expression)                                \
    ({                                                 \
        auto&& corral_try_result_ = (expression);      \
        if (corral_try_result_.is_error())             \
            return corral_try_result_.release_error(); \
        std::move(corral_try_result_).release_value(); \
    })

// As TRY, adding context to the error message.
#define TRY_CONTEXT(expression, context)                                     \
    ({                                                                       \
        auto&& corral_try_result_ = (expression);                            \
        if (corral_try_result_.is_error())                                   \
            return corral_try_result_.release_error().with_context(context); \
        std::move(corral_try_result_).release_value();                       \
    })
