#include "engine/list_filter.h"

#include <gtest/gtest.h>

namespace corral::engine {
namespace {

Container make(const std::string& name, Status status, int64_t created,
               std::map<std::string, std::string> labels = {}) {
    Container c;
    c.id = name + std::string(64 - name.size(), '0');
    c.name = name;
    c.created_ns = created;
    c.state.status = status;
    c.config.labels = std::move(labels);
    c.config.image = "busybox";
    c.image_id = "sha256:" + std::string(64, 'b');
    return c;
}

std::vector<std::string> names_of(const std::vector<Container>& containers) {
    std::vector<std::string> names;
    for (const auto& c : containers)
        names.push_back(c.name);
    return names;
}

using Strings = std::vector<std::string>;

TEST(ListFilter, DefaultShowsRunningNewestFirst) {
    std::vector<Container> all = {make("aa", Status::running, 1), make("bb", Status::exited, 2),
                                  make("cc", Status::restarting, 3),
                                  make("dd", Status::created, 4)};
    EXPECT_EQ(names_of(select_containers(all, {}, {})), (Strings{"cc", "aa"}));
    EXPECT_EQ(names_of(select_containers(all, {.all = true}, {})),
              (Strings{"dd", "cc", "bb", "aa"}));
    EXPECT_EQ(names_of(select_containers(all, {.statuses = {"exited"}}, {})), (Strings{"bb"}));
    EXPECT_EQ(names_of(select_containers(all, {.limit = 1}, {})), (Strings{"dd"}));
}

TEST(ListFilter, LabelsNamesIdsAncestors) {
    std::vector<Container> all = {
        make("web1", Status::running, 1, {{"tier", "front"}}),
        make("web2", Status::running, 2, {{"tier", "back"}}),
        make("db", Status::running, 3, {{"store", ""}}),
    };
    EXPECT_EQ(names_of(select_containers(all, {.labels = {"tier"}}, {})),
              (Strings{"web2", "web1"}));
    EXPECT_EQ(names_of(select_containers(all, {.labels = {"tier=front"}}, {})), (Strings{"web1"}));
    EXPECT_EQ(names_of(select_containers(all, {.labels = {"tier", "store"}}, {})), Strings{});
    EXPECT_EQ(names_of(select_containers(all, {.names = {"web"}}, {})), (Strings{"web2", "web1"}));
    EXPECT_EQ(names_of(select_containers(all, {.names = {"/db"}}, {})), (Strings{"db"}));
    EXPECT_EQ(names_of(select_containers(all, {.ids = {"web1"}}, {})), (Strings{"web1"}));
    EXPECT_EQ(select_containers(all, {.ancestors = {"alpine"}}, {}).size(), 0u);
    EXPECT_EQ(select_containers(all, {.ancestors = {"busybox"}}, {}).size(), 3u);
    EXPECT_EQ(
        select_containers(all, {.ancestors = {"x"}}, {"sha256:" + std::string(64, 'b')}).size(),
        3u);
}

}  // namespace
}  // namespace corral::engine
