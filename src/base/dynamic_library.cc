#include "base/dynamic_library.h"

#include <dlfcn.h>

namespace corral {

ErrorOr<DynamicLibrary> DynamicLibrary::open(std::string soname, std::string_view needed_for,
                                             std::string_view package) {
    void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = ::dlerror();
        std::string message =
            soname + " not found: " + std::string(needed_for) + " needs " + std::string(package);
        if (why)
            message += " (" + std::string(why) + ")";
        return Error(ErrorKind::unavailable, std::move(message));
    }
    return DynamicLibrary(std::move(soname), handle);
}

DynamicLibrary& DynamicLibrary::operator=(DynamicLibrary&& other) noexcept {
    if (this != &other) {
        if (handle_ && !keep_loaded_)
            ::dlclose(handle_);
        keep_loaded_ = other.keep_loaded_;
        soname_ = std::move(other.soname_);
        handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
}

DynamicLibrary::~DynamicLibrary() {
    if (handle_ && !keep_loaded_)
        ::dlclose(handle_);
}

ErrorOr<void*> DynamicLibrary::symbol(const char* name) const {
    if (!handle_)
        return Error::internal(soname_ + ": the library is not open here");
    ::dlerror();
    void* address = ::dlsym(handle_, name);
    if (!address)
        return Error(ErrorKind::unavailable, soname_ + " has no " + name);
    return address;
}

}  // namespace corral
