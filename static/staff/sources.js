// Where uploads come from: the file and folder pickers, and drops of files and folders.
// Folder drops are walked with webkitGetAsEntry; system clutter is skipped, as the server
// skips it in folders and zips.
const CLUTTER = /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*)$|(^|\/)__MACOSX\//i;

export function fromFileList(files) {
  const found = [...files].map((file) => ({ file, name: file.webkitRelativePath || file.name }));
  return found.filter(({ name }) => !CLUTTER.test(name)).sort(byName);
}

function byName(a, b) {
  return a.name.localeCompare(b.name, undefined, { numeric: true });
}

async function walk(entry, found) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    found.push({ file, name: entry.fullPath.replace(/^\//, "") });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      // readEntries answers in batches (100 in Chromium) until it returns none.
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, found);
    }
  }
}

export async function fromDrop(transfer) {
  // The entries must be taken now: the DataTransfer is emptied once the event returns.
  const entries = [...transfer.items]
    .filter((item) => item.kind === "file")
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((entry) => !entry)) return fromFileList(transfer.files);
  const found = [];
  for (const entry of entries) await walk(entry, found);
  return found.filter(({ name }) => !CLUTTER.test(name)).sort(byName);
}

export function hasFiles(event) {
  return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
}
