#include "base/cpu.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace corral {
namespace {

// The kernel lists the same CPUID bit as the "hypervisor" flag of /proc/cpuinfo.
bool cpuinfo_says_hypervisor() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (!line.starts_with("flags"))
            continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::string word;
        while (words >> word) {
            if (word == "hypervisor")
                return true;
        }
        return false;
    }
    return false;
}

TEST(Cpu, HypervisorSignatureAgreesWithTheKernel) {
#if defined(__x86_64__)
    std::string signature = cpu::hypervisor_signature();
    EXPECT_EQ(!signature.empty(), cpuinfo_says_hypervisor()) << "signature `" << signature << "`";
    EXPECT_LE(signature.size(), 12u);
    EXPECT_EQ(signature.find('\0'), std::string::npos);
#else
    EXPECT_EQ(cpu::hypervisor_signature(), "");
#endif
}

TEST(Cpu, OnlyQemusEmulatorTranslatesCode) {
    EXPECT_TRUE(cpu::translates_code("TCGTCGTCGTCG"));
    EXPECT_FALSE(cpu::translates_code("KVMKVMKVM"));
    EXPECT_FALSE(cpu::translates_code("Microsoft Hv"));
    EXPECT_FALSE(cpu::translates_code(""));
    EXPECT_FALSE(cpu::translates_code("TCGTCGTCG"));
}

}  // namespace
}  // namespace corral
