// A helper of `npm run bench -- proxy`, built with g++ when the suite runs: a plain TCP relay in C++ —
// accept, connect upstream, copy bytes both ways, no MQTT work at all. One thread, epoll (level
// triggered), nonblocking reads and writes, one 64 KiB buffer per direction, TCP_NODELAY on both sockets
// like the enforcement node. It is the floor of ANY process between devices and the broker on this host:
// the extra hop (two more socket reads and writes per batch, one more process to schedule) with no
// runtime of its own. When a buffer cannot be written out whole, reading that side stops until it is
// (back-pressure, never unbounded buffering). Prints "native relay up <port>" to stderr when listening;
// SIGTERM ends it.
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t kBuf = 64 * 1024;

struct Side {
  int fd = -1;
  Side *peer = nullptr;
  // Bytes read from this socket that are still to be written to the peer: buf[off, len).
  char buf[kBuf];
  size_t off = 0;
  size_t len = 0;
  uint32_t interest = 0;
  bool dead = false;
};

int ep = -1;
std::vector<Side *> graveyard;

void setup(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Read from a side while its buffer is empty; write to it while its peer has bytes for it.
void rearm(Side *s) {
  if (s->dead) return;
  uint32_t want = (s->len == 0 ? uint32_t{EPOLLIN} : 0u) | (s->peer->len > 0 ? uint32_t{EPOLLOUT} : 0u);
  if (want == s->interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = s;
  epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
  s->interest = want;
}

void kill_pair(Side *s) {
  if (s->dead) return;
  for (Side *x : {s, s->peer}) {
    x->dead = true;
    epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, nullptr);
    close(x->fd);
    graveyard.push_back(x);  // freed after this batch of events: later entries may still name it
  }
}

// Write what `from` holds to its peer; false when the pair died.
bool flush(Side *from) {
  Side *to = from->peer;
  while (from->len > from->off) {
    ssize_t w = write(to->fd, from->buf + from->off, from->len - from->off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      kill_pair(from);
      return false;
    }
    from->off += static_cast<size_t>(w);
  }
  if (from->off == from->len) from->off = from->len = 0;
  return true;
}

void on_readable(Side *s) {
  if (s->len != 0) return;
  ssize_t r = read(s->fd, s->buf, kBuf);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    kill_pair(s);
    return;
  }
  if (r < 0) return;
  s->len = static_cast<size_t>(r);
  if (!flush(s)) return;
  rearm(s);
  rearm(s->peer);
}

void on_writable(Side *s) {
  if (!flush(s->peer)) return;
  rearm(s);
  rearm(s->peer);
}

void add(Side *s) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = s;
  s->interest = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

void on_accept(int lfd, int target) {
  for (;;) {
    int dfd = accept4(lfd, nullptr, nullptr, 0);
    if (dfd < 0) return;
    int ufd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(target));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A blocking connect on loopback completes at once; nonblocking I/O from then on.
    if (ufd < 0 || connect(ufd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
      if (ufd >= 0) close(ufd);
      close(dfd);
      continue;
    }
    setup(dfd);
    setup(ufd);
    Side *d = new Side();
    Side *u = new Side();
    d->fd = dfd;
    u->fd = ufd;
    d->peer = u;
    u->peer = d;
    add(d);
    add(u);
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: native-relay <broker port>\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int target = atoi(argv[1]);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || listen(lfd, 512) != 0) {
    perror("native relay: listen");
    return 1;
  }
  socklen_t alen = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr *>(&a), &alen);
  fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
  ep = epoll_create1(0);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;  // the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  fprintf(stderr, "native relay up %d\n", ntohs(a.sin_port));
  epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      Side *s = static_cast<Side *>(evs[i].data.ptr);
      if (s == nullptr) {
        on_accept(lfd, target);
        continue;
      }
      if (s->dead) continue;
      uint32_t e = evs[i].events;
      if (e & EPOLLOUT) on_writable(s);
      if (s->dead) continue;
      if ((e & (EPOLLHUP | EPOLLERR)) && s->len != 0) kill_pair(s);  // not reading: it would spin
      else if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(s);
    }
    for (Side *x : graveyard) delete x;
    graveyard.clear();
  }
}
