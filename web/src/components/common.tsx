import { type DragEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { Bar, BarChart, Cell, LabelList, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { ApiError, type Scores, SENTIMENTS } from '../api';

export const SENTIMENT_COLOURS: Record<string, string> = {
  negative: '#b42318',
  neutral: '#5d6b82',
  positive: '#067647',
};

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      {msg}
    </div>
  );
}

/** Shown by a page whose part of the system is not set up on this server, instead of breaking. */
export function NotConfigured({ what, how }: { what: string; how: ReactNode }) {
  return (
    <div className="notice" role="status">
      <strong>{what} is not configured yet on this server.</strong> {how}
    </div>
  );
}

export const isMissing = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 503);

export function SentimentBadge({ label, confidence }: { label: string; confidence?: number }) {
  return (
    <span className={`badge badge-${label}`}>
      {label}
      {confidence != null ? ` · ${(confidence * 100).toFixed(0)}%` : ''}
    </span>
  );
}

/** One bar per class (a chart for the eye, the numbers in text for everyone). */
export function ScoreBars({ scores, title }: { scores: Scores; title: string }) {
  const data = SENTIMENTS.map((s) => ({ name: s, value: Math.round(scores[s] * 1000) / 10 }));
  return (
    <figure className="scorebars" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div style={{ width: '100%', height: 96 }} aria-hidden="true">
        <ResponsiveContainer>
          <BarChart data={data} layout="vertical" margin={{ left: 8, right: 48, top: 0, bottom: 0 }}>
            <XAxis type="number" domain={[0, 100]} hide />
            <YAxis type="category" dataKey="name" width={72} tickLine={false} axisLine={false} />
            <Bar dataKey="value" isAnimationActive={false} barSize={18}>
              {data.map((d) => (
                <Cell key={d.name} fill={SENTIMENT_COLOURS[d.name]} />
              ))}
              <LabelList dataKey="value" position="right" formatter={(v: unknown) => `${v}%`} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <p className="sr-only">{data.map((d) => `${d.name} ${d.value}%`).join(', ')}</p>
    </figure>
  );
}

/** A photo picker: drop a file or choose one; shows a preview. */
export function PhotoPicker({
  file,
  onChange,
  label,
}: {
  file: File | null;
  onChange: (f: File | null) => void;
  label: string;
}) {
  const id = useId();
  const [preview, setPreview] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  useEffect(() => {
    if (!file) {
      setPreview(null);
      return;
    }
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f) onChange(f);
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: dropping a file is a shortcut; the file input inside is the accessible control
    <div
      className={`dropzone${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <label htmlFor={id}>{label}</label>
      <input id={id} type="file" accept="image/*" onChange={(e) => onChange(e.target.files?.[0] ?? null)} />
      <span className="hint">or drop a photo here</span>
      {preview && (
        <div className="preview">
          <img src={preview} alt="Preview of the chosen file" />
          <button type="button" className="link" onClick={() => onChange(null)}>
            Remove photo
          </button>
        </div>
      )}
    </div>
  );
}

export function Thumb({ src, alt }: { src?: string | null; alt: string }) {
  if (!src) return <div className="thumb thumb-empty" aria-hidden="true" />;
  return <img className="thumb" src={src} alt={alt} loading="lazy" />;
}

export function Progress({ value, label }: { value: number; label: string }) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
    >
      <div className="progress-bar" style={{ width: `${Math.round(value * 100)}%` }} />
    </div>
  );
}
