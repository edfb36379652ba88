#include "engine/events.h"

#include <algorithm>

#include "base/sys.h"
#include "engine/notifier.h"

namespace corral::engine {

namespace {

bool any_label_mismatch(const Event& event, const std::vector<std::string>& labels) {
    for (const auto& filter : labels) {
        auto equals = filter.find('=');
        auto key = filter.substr(0, equals);
        auto found = event.attributes.find(key);
        if (found == event.attributes.end())
            return true;
        if (equals != std::string::npos && found->second != filter.substr(equals + 1))
            return true;
    }
    return false;
}

template <typename F>
bool any_of_or_empty(const std::vector<std::string>& values, F&& matches) {
    return values.empty() || std::any_of(values.begin(), values.end(), matches);
}

std::string attribute(const Event& event, const char* key) {
    auto found = event.attributes.find(key);
    return found == event.attributes.end() ? std::string() : found->second;
}

}  // namespace

bool event_matches(const Event& event, const EventFilters& filters) {
    if (!any_of_or_empty(filters.types, [&](const std::string& t) { return t == event.type; }))
        return false;
    // "exec_start: sh -c x" is docker's action text; the filter names the bare action.
    std::string bare_action = event.action.substr(0, event.action.find(':'));
    if (!any_of_or_empty(filters.actions, [&](const std::string& a) {
            return a == event.action || a == bare_action;
        }))
        return false;
    if (!filters.containers.empty()) {
        if (event.type != "container")
            return false;
        std::string name = attribute(event, "name");
        if (!any_of_or_empty(filters.containers, [&](const std::string& c) {
                return c == name || c == "/" + name ||
                       (!c.empty() && event.id.compare(0, c.size(), c) == 0);
            }))
            return false;
    }
    if (!filters.images.empty()) {
        std::string image = event.type == "image" ? event.id : attribute(event, "image");
        std::string image_name = attribute(event, "name");
        if (!any_of_or_empty(filters.images, [&](const std::string& i) {
                return i == image || (event.type == "image" && i == image_name) ||
                       (image.rfind(i + ":", 0) == 0 && i.find(':') == std::string::npos);
            }))
            return false;
    }
    return !any_label_mismatch(event, filters.labels);
}

struct EventBus::Queue {
    std::mutex mutex;
    std::deque<Event> events;
    EventFilters filters;
    int64_t until_ns = 0;
    bool closed = false;
    UniqueFd wake;
};

namespace {

class Subscription final : public EventSubscription {
  public:
    Subscription(std::shared_ptr<EventBus::Queue> queue,
                 std::function<void(EventBus::Queue*)> forget)
        : queue_(std::move(queue)), forget_(std::move(forget)) {}
    ~Subscription() override { forget_(queue_.get()); }

    ErrorOr<std::optional<Event>> next(const Cancellation& cancel) override {
        for (;;) {
            int64_t timeout_ns = -1;
            {
                std::lock_guard lock(queue_->mutex);
                if (!queue_->events.empty()) {
                    Event event = std::move(queue_->events.front());
                    queue_->events.pop_front();
                    if (queue_->until_ns && event.time_ns > queue_->until_ns)
                        return std::optional<Event>();
                    return std::optional<Event>(std::move(event));
                }
                if (queue_->closed)
                    return std::optional<Event>();
                if (queue_->until_ns) {
                    timeout_ns = queue_->until_ns - sys::realtime_ns();
                    if (timeout_ns <= 0)
                        return std::optional<Event>();
                }
            }
            auto reason = TRY(sleep_on(queue_->wake.get(), cancel, timeout_ns));
            if (reason == WakeReason::cancelled)
                return cancelled_error();
        }
    }

  private:
    std::shared_ptr<EventBus::Queue> queue_;
    std::function<void(EventBus::Queue*)> forget_;
};

}  // namespace

EventBus::~EventBus() {
    close();
}

void EventBus::publish(Event event) {
    if (event.time_ns == 0)
        event.time_ns = sys::realtime_ns();
    std::lock_guard lock(mutex_);
    history_.push_back(event);
    if (history_.size() > history_size)
        history_.pop_front();
    for (const auto& queue : subscribers_) {
        if (!event_matches(event, queue->filters))
            continue;
        std::lock_guard queue_lock(queue->mutex);
        // A subscriber that does not read loses its oldest events, not our memory.
        if (queue->events.size() >= queue_limit)
            queue->events.pop_front();
        queue->events.push_back(event);
        signal_eventfd(queue->wake.get());
    }
}

ErrorOr<std::unique_ptr<EventSubscription>> EventBus::subscribe(int64_t since_ns, int64_t until_ns,
                                                                EventFilters filters) {
    auto queue = std::make_shared<Queue>();
    queue->wake = TRY(make_eventfd());
    queue->filters = std::move(filters);
    queue->until_ns = until_ns;
    std::lock_guard lock(mutex_);
    if (subscribers_.size() >= max_subscribers_)
        return Error(ErrorKind::too_large, "too many event subscribers");
    if (since_ns > 0) {
        for (const auto& event : history_)
            if (event.time_ns >= since_ns && event_matches(event, queue->filters))
                queue->events.push_back(event);
    }
    queue->closed = closed_;
    // Without `since`, an `until` in the past ends at once; with one, after the replay.
    subscribers_.push_back(queue);
    return std::unique_ptr<EventSubscription>(
        new Subscription(queue, [this](Queue* q) { forget(q); }));
}

void EventBus::forget(Queue* queue) {
    std::lock_guard lock(mutex_);
    subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                      [&](const auto& q) { return q.get() == queue; }),
                       subscribers_.end());
}

void EventBus::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& queue : subscribers_) {
        std::lock_guard queue_lock(queue->mutex);
        queue->closed = true;
        signal_eventfd(queue->wake.get());
    }
}

}  // namespace corral::engine
