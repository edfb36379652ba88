#include "base/dynamic_library.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/curl_library.h"

namespace corral {
namespace {

TEST(DynamicLibrary, ResolvesAFunctionOfAnOpenedLibrary) {
    auto library = DynamicLibrary::open("libc.so.6", "this test", "libc6");
    ASSERT_TRUE(library) << library.error().message();
    pid_t (*get_pid)() = nullptr;
    ASSERT_TRUE(library->resolve(get_pid, "getpid"));
    ASSERT_NE(get_pid, nullptr);
    EXPECT_EQ(get_pid(), ::getpid());
}

TEST(DynamicLibrary, MissingLibraryNamesItWhatNeedsItAndThePackage) {
    auto library =
        DynamicLibrary::open("libcorral-none.so.9", "testing a missing library", "corral-none9");
    ASSERT_FALSE(library);
    EXPECT_EQ(library.error().kind(), ErrorKind::unavailable);
    const auto& message = library.error().message();
    EXPECT_EQ(message.rfind("libcorral-none.so.9 not found: testing a missing library needs "
                            "corral-none9 (",
                            0),
              0u)
        << message;
}

TEST(DynamicLibrary, MissingSymbolIsNamed) {
    auto library = DynamicLibrary::open("libc.so.6", "this test", "libc6");
    ASSERT_TRUE(library);
    void (*missing)() = nullptr;
    auto resolved = library->resolve(missing, "corral_no_such_function");
    ASSERT_FALSE(resolved);
    EXPECT_EQ(resolved.error().message(), "libc.so.6 has no corral_no_such_function");
}

TEST(DynamicLibrary, MovedLibraryStaysUsable) {
    auto opened = DynamicLibrary::open("libc.so.6", "this test", "libc6");
    ASSERT_TRUE(opened);
    DynamicLibrary library = std::move(*opened);
    pid_t (*get_pid)() = nullptr;
    ASSERT_TRUE(library.resolve(get_pid, "getpid"));
    EXPECT_EQ(get_pid(), ::getpid());
}

TEST(CurlLibrary, OpensOnceAndEscapesText) {
    auto first = curl_library();
    ASSERT_TRUE(first) << first.error().message();
    auto second = curl_library();
    ASSERT_TRUE(second);
    EXPECT_EQ(*first, *second);
    const CurlApi& curl = **first;
    CURL* handle = curl.easy_init();
    ASSERT_NE(handle, nullptr);
    char* escaped = curl.easy_escape(handle, "a b/c", 5);
    ASSERT_NE(escaped, nullptr);
    EXPECT_STREQ(escaped, "a%20b%2Fc");
    curl.free(escaped);
    curl.easy_cleanup(handle);
}

}  // namespace
}  // namespace corral
