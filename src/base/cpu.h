// What the processor tells about the machine a program runs on.
#pragma once

#include <string>
#include <string_view>

namespace corral::cpu {

// The hypervisor's signature, CPUID leaf 0x40000000 (EBX, ECX, EDX: 12 bytes, trailing NULs
// dropped), when CPUID leaf 1 sets the hypervisor bit: "KVMKVMKVM", "TCGTCGTCGTCG" (QEMU's
// emulator), "Microsoft Hv"... Empty on bare metal and on processors other than x86.
std::string hypervisor_signature();

// Whether SIGNATURE names an emulator that translates the guest's code into the host's (QEMU's
// TCG). Such an emulator reuses what it translated only for code at the same virtual address,
// so a program that address space randomization places anew at each exec is translated anew.
bool translates_code(std::string_view signature);

}  // namespace corral::cpu
