// The compiled seccomp filter, checked by loading it into a child process.
#include "runtime/seccomp_bpf.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace corral::runtime {
namespace {

#if defined(__aarch64__)
constexpr const char* architectures = R"(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])";
#else
constexpr const char* architectures = R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])";
#endif

std::string profile(const std::string& syscalls,
                    const std::string& default_action = "\"SCMP_ACT_ALLOW\"") {
    return std::string(R"({"defaultAction": )") + default_action + R"(, "architectures": )" +
           architectures + R"(, "syscalls": )" + syscalls + "}";
}

// Loads `program` in a child and returns what getppid and getpid gave there, as
// "<getppid result>/<errno> <getpid ok>" (the child's exit status carries it).
int run_filtered(const std::string& program) {
    pid_t child = ::fork();
    if (child == 0) {
        sock_fprog filter{};
        filter.len = static_cast<unsigned short>(program.size() / 8);
        filter.filter = reinterpret_cast<sock_filter*>(const_cast<char*>(program.data()));
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0)
            ::_exit(100);
        errno = 0;
        long parent = ::syscall(SYS_getppid);
        int error = errno;
        bool own_pid = ::syscall(SYS_getpid) > 0;
        if (!own_pid)
            ::_exit(101);
        ::_exit(parent == -1 ? error : 0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SeccompProgram, DeniesListedCallsWithTheirErrno) {
    auto program = compile_seccomp_profile(
        profile(R"([{"names": ["getppid", "no_such_call_anywhere"], "action": "SCMP_ACT_ERRNO",
                     "errnoRet": 77}])"));
    if (!program && program.error().kind() == ErrorKind::unavailable)
        GTEST_SKIP() << program.error().message();
    ASSERT_TRUE(program) << program.error().message();
    EXPECT_EQ(program->size() % 8, 0u);
    // getppid fails with the profile's errno; getpid (not listed) still works.
    EXPECT_EQ(run_filtered(*program), 77);
}

TEST(SeccompProgram, ErrnoDefaultsToEperm) {
    auto program =
        compile_seccomp_profile(profile(R"([{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}])"));
    if (!program && program.error().kind() == ErrorKind::unavailable)
        GTEST_SKIP() << program.error().message();
    ASSERT_TRUE(program) << program.error().message();
    EXPECT_EQ(run_filtered(*program), EPERM);
}

TEST(SeccompProgram, AllowAllLetsEverythingThrough) {
    auto program = compile_seccomp_profile(profile("[]"));
    if (!program && program.error().kind() == ErrorKind::unavailable)
        GTEST_SKIP() << program.error().message();
    ASSERT_TRUE(program) << program.error().message();
    EXPECT_EQ(run_filtered(*program), 0);
}

TEST(SeccompProgram, LeavesWhatItDoesNotRepeatToCrun) {
    // Argument conditions, flags and listeners: crun compiles those itself.
    for (const auto& text : {profile(R"([{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}])"),
                             profile("[]").insert(1, R"("flags": ["SECCOMP_FILTER_FLAG_LOG"], )"),
                             profile("[]").insert(1, R"("listenerPath": "/run/listener.sock", )"),
                             profile(R"([{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}])")}) {
        auto program = compile_seccomp_profile(text);
        ASSERT_FALSE(program) << text;
        EXPECT_EQ(program.error().kind(), ErrorKind::unsupported) << text;
    }
}

TEST(SeccompProgram, RefusesBrokenProfiles) {
    EXPECT_EQ(compile_seccomp_profile("{not json").error().kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(compile_seccomp_profile(R"({"syscalls": []})").error().kind(),
              ErrorKind::invalid_argument);
    auto unknown_architecture = compile_seccomp_profile(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NO_SUCH"]})");
    if (!unknown_architecture && unknown_architecture.error().kind() == ErrorKind::unavailable)
        GTEST_SKIP() << unknown_architecture.error().message();
    ASSERT_FALSE(unknown_architecture);
    EXPECT_NE(unknown_architecture.error().message().find("SCMP_ARCH_NO_SUCH"), std::string::npos);
}

TEST(SeccompProgram, Base64) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

}  // namespace
}  // namespace corral::runtime
