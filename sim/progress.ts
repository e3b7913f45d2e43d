/** One cli-progress bar per stage, and a line with the stage's wall time when it ends (also without a TTY). */
import cliProgress from "cli-progress";

/** A running stage. */
export interface Stage {
  update(value: number, info?: string): void;
  done(info?: string): void;
}

/**
 * Starts a stage's bar.
 *
 * @param name The stage.
 * @param total Its steps.
 */
export function stage(name: string, total: number): Stage {
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    { format: `${name.padEnd(10)} [{bar}] {value}/{total} {info}`, hideCursor: true, clearOnComplete: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: "" });
  return {
    update: (value, info = "") => bar.update(value, { info }),
    done: (info = "") => {
      bar.update(total, { info });
      bar.stop();
      console.log(`✔ ${name.padEnd(10)} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${info}`);
    },
  };
}
