// The hypervisor's signature from CPUID (base/cpu.h).
#include "base/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstring>

namespace corral::cpu {

std::string hypervisor_signature() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 31)))
        return {};
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char text[12];
    std::memcpy(text, &ebx, 4);
    std::memcpy(text + 4, &ecx, 4);
    std::memcpy(text + 8, &edx, 4);
    std::string signature(text, sizeof(text));
    while (!signature.empty() && signature.back() == '\0')
        signature.pop_back();
    return signature;
#else
    return {};
#endif
}

bool translates_code(std::string_view signature) {
    return signature == "TCGTCGTCGTCG";
}

}  // namespace corral::cpu
