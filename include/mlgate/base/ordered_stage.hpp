// An ordered-chunks stage: the shape of every parallel read in mlgate. One thread produces items
// in order (cutting a file into chunks, say), workers turn each into a result (parsing it), and
// the results are consumed in the order their items were produced (merged into one table).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mlgate {

// Objects handed back once used and taken again (thread-safe): the same few megabytes are
// reused instead of fresh pages for every chunk.
template <class T>
class Pool {
 public:
  T take() {
    std::lock_guard lk(m_);
    if (items_.empty()) return T();
    T x = std::move(items_.back());
    items_.pop_back();
    return x;
  }
  void give(T&& x) {
    std::lock_guard lk(m_);
    items_.push_back(std::move(x));
  }

 private:
  std::mutex m_;
  std::vector<T> items_;
};

// Runs the stage until produce() returns null.
//   produce()              -> std::unique_ptr<Item>, on the calling thread, in order
//   work(Item&, Result&)   on `threads` workers; Result objects come from `results` and go back
//                          to it once consumed (reused, so work must reset what it fills)
//   consume(Result&)       in production order, one call at a time, by whichever worker finds
//                          the next result ready: producing never waits on consuming
// At most `max_in_flight` items are between produce and consume, bounding memory. The first
// exception thrown by any of the three stops the stage; it is rethrown here once every worker
// has finished (never std::terminate).
template <class Item, class Result, class Produce, class Work, class Consume>
void run_ordered(unsigned threads, std::int64_t max_in_flight, Pool<Result>& results,
                 Produce&& produce, Work&& work, Consume&& consume) {
  std::mutex m;          // guards everything below but the consumer's own work
  std::mutex consume_m;  // held by the one worker consuming
  std::condition_variable cv;
  std::deque<std::pair<std::int64_t, std::unique_ptr<Item>>> queue;
  std::map<std::int64_t, Result> done;
  std::exception_ptr failure;
  bool closed = false;
  std::int64_t submitted = 0, consumed = 0;

  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lk(m);
    if (!failure) failure = std::move(e);
    cv.notify_all();
  };
  // Consumes whatever is next in order, unless another worker already is.
  auto drain = [&] {
    for (;;) {
      {
        std::unique_lock cl(consume_m, std::try_to_lock);
        if (!cl.owns_lock()) return;  // the consumer at work will see this result
        for (;;) {
          Result r;
          {
            std::lock_guard lk(m);
            auto it = done.find(consumed);
            if (failure || it == done.end()) break;
            r = std::move(it->second);
            done.erase(it);
          }
          try {
            consume(r);
          } catch (...) {
            fail(std::current_exception());
            return;
          }
          results.give(std::move(r));
          {
            std::lock_guard lk(m);
            ++consumed;
          }
          cv.notify_all();
        }
      }
      // A result finished while the lock was held may have found it taken: look again.
      std::lock_guard lk(m);
      if (failure || !done.count(consumed)) return;
    }
  };

  std::vector<std::thread> workers;
  struct Joiner {  // closes the queue and joins the workers however this function is left
    std::vector<std::thread>& ws;
    std::mutex& m;
    std::condition_variable& cv;
    bool& closed;
    ~Joiner() {
      {
        std::lock_guard lk(m);
        closed = true;
      }
      cv.notify_all();
      for (auto& w : ws) w.join();
    }
  } joiner{workers, m, cv, closed};
  for (unsigned w = 0; w < (threads ? threads : 1); ++w) {
    workers.emplace_back([&] {
      for (;;) {
        std::int64_t seq;
        std::unique_ptr<Item> item;
        {
          std::unique_lock lk(m);
          cv.wait(lk, [&] { return closed || !queue.empty(); });
          if (queue.empty()) return;
          seq = queue.front().first;
          item = std::move(queue.front().second);
          queue.pop_front();
        }
        try {
          Result r = results.take();
          work(*item, r);
          item.reset();
          {
            std::lock_guard lk(m);
            done.emplace(seq, std::move(r));
          }
          drain();
        } catch (...) {  // out of memory, say: the calling thread reports it
          fail(std::current_exception());
          return;
        }
      }
    });
  }

  for (;;) {
    {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return failure || submitted - consumed < max_in_flight; });
      if (failure) break;
    }
    std::unique_ptr<Item> item = produce();
    if (!item) break;
    {
      std::lock_guard lk(m);
      queue.emplace_back(submitted++, std::move(item));
    }
    cv.notify_all();
  }
  std::unique_lock lk(m);
  cv.wait(lk, [&] { return failure || consumed == submitted; });
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mlgate
