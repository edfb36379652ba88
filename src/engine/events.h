// The event bus: remembers the last events for `since`, fans new ones out to subscribers, each
// with its own bounded queue and eventfd.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/engine.h"

namespace corral::engine {

bool event_matches(const Event& event, const EventFilters& filters);

class EventBus {
  public:
    static constexpr size_t history_size = 1024;
    static constexpr size_t queue_limit = 4096;

    explicit EventBus(size_t max_subscribers) : max_subscribers_(max_subscribers) {}
    ~EventBus();

    void publish(Event event);
    ErrorOr<std::unique_ptr<EventSubscription>> subscribe(int64_t since_ns, int64_t until_ns,
                                                          EventFilters filters);
    // Ends every subscription (their next() returns nullopt once drained).
    void close();

    struct Queue;

  private:
    void forget(Queue* queue);

    std::mutex mutex_;
    std::deque<Event> history_;
    std::vector<std::shared_ptr<Queue>> subscribers_;
    size_t max_subscribers_;
    bool closed_ = false;
};

}  // namespace corral::engine
