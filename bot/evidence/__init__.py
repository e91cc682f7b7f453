"""Evidence people send (screenshots, photos, documents): checked by content, stripped of
metadata, re-encoded before anything is stored (`clean`), and shown to counsellors as a
small server-rendered preview (`thumbnail`). Pure: bytes in, bytes out, no I/O."""
