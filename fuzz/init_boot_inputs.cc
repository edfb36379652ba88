// Fuzzes what init reads from disks and the initrd before anything else runs: file-system
// superblocks of every block device (a hostile disk may be attached), modules.dep and the
// module list; and the mount table it parses.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "init/block_devices.h"
#include "init/kernel_modules.h"
#include "init/mount_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    (void)corral::init::identify_file_system(std::span<const uint8_t>(data, size));
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto index = corral::init::ModuleIndex::parse(text);
    corral::init::ModuleStages stages = corral::init::parse_module_stages(text);
    if (index) {
        (void)index->load_order(stages.system);
        (void)index->load_order(stages.disks);
    }
    (void)corral::init::module_name(text);
    (void)corral::init::parse_mount_table(text);
    return 0;
}
