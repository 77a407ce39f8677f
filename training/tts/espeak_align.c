/*
 * Render sentences with espeak-ng at its native 22.05 kHz and record when each phoneme
 * starts, from espeak-ng's own phoneme events (training data only; needs libespeak-ng-dev).
 *
 *   espeak_align OUT_DIR < sentences.txt
 *
 * For input line i (0-based) writes OUT_DIR/i.raw (int16 mono, 22050 Hz) and one JSON line
 * on stdout: {"i":i,"samples":N,"phonemes":[["name",start_sample],...]}.
 * The sample position of an event is the number of samples delivered before the callback
 * chunk that carries it plus its offset in that chunk (event->sample counts from the start
 * of the utterance in synchronous mode).
 */
#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static short *buf;
static size_t len, cap;
static FILE *json;
static int first;

static void put_name(const char *s) {
  fputc('"', json);
  for (int k = 0; k < 8 && s[k]; k++) {
    if (s[k] == '"' || s[k] == '\\') fputc('\\', json);
    fputc(s[k], json);
  }
  fputc('"', json);
}

static int on_synth(short *wav, int n, espeak_EVENT *ev) {
  for (; ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
    if (ev->type != espeakEVENT_PHONEME) continue;
    fprintf(json, first ? "[[" : ",[");
    put_name(ev->id.string);
    fprintf(json, ",%d,%d]", ev->sample, ev->audio_position);
    first = 0;
  }
  if (wav && n > 0) {
    if (len + n > cap) {
      cap = (len + n) * 2;
      buf = realloc(buf, cap * sizeof(short));
    }
    memcpy(buf + len, wav, n * sizeof(short));
    len += n;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: espeak_align OUT_DIR < sentences.txt\n");
    return 2;
  }
  int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_PHONEME_EVENTS);
  if (rate != 22050) {
    fprintf(stderr, "espeak-ng sample rate %d, expected 22050\n", rate);
    return 1;
  }
  espeak_SetVoiceByName("en-us");
  espeak_SetSynthCallback(on_synth);
  json = stdout;
  char line[4096];
  for (int i = 0; fgets(line, sizeof line, stdin); i++) {
    line[strcspn(line, "\n")] = 0;
    len = 0;
    first = 1;
    fprintf(json, "{\"i\":%d,\"phonemes\":", i);
    espeak_Synth(line, strlen(line) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
    espeak_Synchronize();
    if (first) fprintf(json, "[");
    fprintf(json, "],\"samples\":%zu}\n", len);
    char path[4200];
    snprintf(path, sizeof path, "%s/%d.raw", argv[1], i);
    FILE *f = fopen(path, "wb");
    if (!f) {
      perror(path);
      return 1;
    }
    fwrite(buf, sizeof(short), len, f);
    fclose(f);
  }
  espeak_Terminate();
  return 0;
}
