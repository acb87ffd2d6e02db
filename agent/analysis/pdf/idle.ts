// Buffers kept between documents (the block and object-stream pools) are for a run of
// documents one after another (the CLI over many files, a busy agent). A long-lived agent
// that has gone quiet should not hold them: each pool arms a timer when it keeps
// something, and the pool is emptied once a second has passed without another document
// handing buffers back (an idle agent's memory is a target of its own, README).

const IDLE_MS = 1000;

/** A function that (re)starts the countdown after which `drop` empties the pool. */
export function idleDrop(drop: () => void, ms = IDLE_MS): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = () => {
    timer = undefined;
    drop();
  };
  return () => {
    if (timer !== undefined) { timer.refresh(); return; }
    timer = setTimeout(fire, ms);
    // Never what keeps the process alive.
    timer.unref();
  };
}
