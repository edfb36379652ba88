// Shared libraries opened at run time (dlopen) instead of linked: a program that never uses
// one never maps it (libcurl and its closure for pulls and url datasources, libseccomp for
// seccomp profiles).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/error.h"

namespace corral {

class DynamicLibrary {
  public:
    // dlopen(`soname`, RTLD_NOW | RTLD_LOCAL). The error says what needs the library and
    // which Debian package provides it: "libcurl.so.4 not found: pulling images needs
    // libcurl4 (libcurl.so.4: cannot open shared object file: No such file or directory)".
    static ErrorOr<DynamicLibrary> open(std::string soname, std::string_view needed_for,
                                        std::string_view package);

    DynamicLibrary(DynamicLibrary&& other) noexcept
        : soname_(std::move(other.soname_)),
          handle_(std::exchange(other.handle_, nullptr)),
          keep_loaded_(other.keep_loaded_) {}
    DynamicLibrary& operator=(DynamicLibrary&& other) noexcept;
    DynamicLibrary(const DynamicLibrary&) = delete;
    DynamicLibrary& operator=(const DynamicLibrary&) = delete;
    ~DynamicLibrary();

    // The address of `name`: "libcurl.so.4 has no curl_easy_init".
    ErrorOr<void*> symbol(const char* name) const;

    // Sets a function pointer to the symbol `name`.
    template <typename Function>
    requires std::is_pointer_v<Function> ErrorOr<void> resolve(Function& entry, const char* name)
    const {
        entry = reinterpret_cast<Function>(TRY(symbol(name)));
        return {};
    }

    // Keeps the library loaded for the life of the process (one that keeps global state,
    // like libcurl after curl_global_init): the destructor then closes nothing.
    void keep_loaded() { keep_loaded_ = true; }

    const std::string& soname() const { return soname_; }

  private:
    DynamicLibrary(std::string soname, void* handle)
        : soname_(std::move(soname)), handle_(handle) {}

    std::string soname_;
    void* handle_ = nullptr;
    bool keep_loaded_ = false;
};

// The table of entry points `Api` of an opened library, filled by `Load` (which opens the
// library, resolves each entry and keeps it loaded) once per process, on first use from any
// thread; a failure is kept and given to every caller.
template <typename Api, ErrorOr<void> (*Load)(Api&)>
ErrorOr<const Api*> load_once() {
    static std::once_flag once;
    static Api api;
    static std::optional<Error> failure;
    std::call_once(once, [] {
        if (auto loaded = Load(api); !loaded)
            failure = loaded.release_error();
    });
    if (failure)
        return *failure;
    return &api;
}

}  // namespace corral
