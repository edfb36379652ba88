#include "init/pending_boot.h"

#include <poll.h>
#include <unistd.h>

#include "base/boot_timeline.h"
#include "base/fs.h"
#include "base/log.h"
#include "init/boot_media.h"
#include "init/console.h"

namespace corral::init {

void report_modules(const ErrorOr<ModuleLoadReport>& report) {
    if (!report) {
        console_line("warning: kernel modules: " + report.error().message());
        return;
    }
    for (const auto& failure : report->failed)
        console_line("warning: module " + failure);
    log::debug("loaded " + std::to_string(report->loaded.size()) + " kernel modules");
}

PendingBoot::PendingBoot(std::unique_ptr<ModuleLoader> modules, std::string timeline_path)
    : modules_(std::move(modules)), timeline_path_(std::move(timeline_path)) {}

PendingBoot::~PendingBoot() {
    if (media_thread_.joinable())
        media_thread_.join();
    if (marker_thread_.joinable())
        marker_thread_.join();
}

void PendingBoot::wait_for_file_system(const std::string& type, const std::string& module) {
    if (!modules_)
        return;
    auto known = fs::read_file("/proc/filesystems");
    if (known && known->find("\t" + type + "\n") != std::string::npos)
        return;
    modules_->wait_for_module(module);
}

void PendingBoot::wait_for_modules() {
    if (!modules_)
        return;
    std::call_once(modules_reported_, [this] {
        const auto& report = modules_->wait();
        report_modules(report);
        if (!report)
            return;
        (void)boot_timeline::record_at(modules_->finished_seconds(), "modules loaded",
                                       timeline_path_);
    });
}

void PendingBoot::wait_for_system_modules() {
    if (modules_)
        modules_->wait_for_system_part();
}

void PendingBoot::mark_modules_loading(const std::string& marker) {
    if (!modules_ || marker_thread_.joinable())
        return;
    pollfd done{modules_->done_fd(), POLLIN, 0};
    if (::poll(&done, 1, 0) == 1) {
        wait_for_modules();  // over already: no marker, the report and the timeline now
        return;
    }
    (void)fs::mkdir_p(fs::dirname(marker));
    if (auto written = fs::write_file_atomic(marker, ""); !written) {
        log::warn("marker of the loading modules: " + written.error().message());
        return;
    }
    marker_thread_ = std::thread([this, marker] {
        wait_for_modules();
        ::unlink(marker.c_str());
    });
}

void PendingBoot::start_media_mount(int wait_seconds) {
    media_thread_ = std::thread([this, wait_seconds] {
        wait_for_file_system("iso9660", "isofs");
        auto media = mount_boot_media(wait_seconds, modules_done_fd());
        if (!media) {
            console_line("warning: boot medium: " + media.error().message());
        } else if (!*media) {
            console_line("warning: no boot medium (label " + std::string(kBootMediaLabel) +
                         "): no system images to load");
        } else {
            (void)boot_timeline::record("boot medium mounted", timeline_path_);
            media_ = std::move(*media);
        }
    });
}

std::optional<std::string> PendingBoot::wait_for_media() {
    std::call_once(media_joined_, [this] {
        if (media_thread_.joinable())
            media_thread_.join();
    });
    return media_;
}

}  // namespace corral::init
