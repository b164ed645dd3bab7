import { type FormEvent, useState } from 'react';
import { getKey, setKey } from '../api';

/** The API key box: entered once, kept in this browser's local storage. */
export function KeyBar({ onChange }: { onChange: () => void }) {
  const [saved, setSaved] = useState(getKey());
  const [value, setValue] = useState('');
  const save = (e: FormEvent) => {
    e.preventDefault();
    setKey(value.trim());
    setSaved(value.trim());
    setValue('');
    onChange();
  };
  const forget = () => {
    setKey('');
    setSaved('');
    onChange();
  };
  return (
    <form className="keybar" onSubmit={save} aria-label="API key settings">
      {saved ? (
        <>
          <span>
            API key <code>{`${saved.slice(0, 10)}…`}</code> saved in this browser
          </span>
          <button type="button" className="secondary" onClick={forget}>
            Forget key
          </button>
        </>
      ) : (
        <>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            placeholder="rl_…"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
          <button type="submit" disabled={!value.trim()}>
            Save key
          </button>
        </>
      )}
    </form>
  );
}
