//! MLLP release 2 framing (`0x0B` message `0x1C 0x0D`) as a tokio codec, bounded by the bulk limit.
//!
//! Why not `hl7-mllp-codec` (0.4): it buffers without a bound (a sender that never closes a frame
//! grows memory forever), it looks for the *last* end-of-block in the buffer (two frames that
//! arrive in one read come out as one message), and it keeps bytes outside any frame. This decoder
//! keeps at most `max` bytes of a frame, finds the first end-of-block, and reports what it dropped.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

const START: u8 = 0x0B;
const END: [u8; 2] = [0x1C, 0x0D];

/// What the decoder read.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message (the bytes between start and end of block).
    Message(BytesMut),
    /// A frame longer than the limit, discarded up to its end of block (its length in bytes).
    Oversize(usize),
    /// A frame abandoned by its sender: a new start block came before its end, or the
    /// connection closed inside it (its length so far).
    Partial(usize),
    /// Bytes outside any frame, dropped (how many).
    Garbage(usize),
}

#[derive(Debug, Clone, Copy)]
enum State {
    Between,
    /// Inside a frame; `scanned` bytes of it hold no end of block.
    InFrame {
        scanned: usize,
    },
    /// Inside an oversize frame; `dropped` bytes thrown away so far.
    Discarding {
        dropped: usize,
    },
}

/// The MLLP decoder/encoder; `max` is the largest message taken, in bytes.
#[derive(Debug)]
pub struct MllpFrames {
    max: usize,
    state: State,
}

impl MllpFrames {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            state: State::Between,
        }
    }
}

/// The position of the first byte of interest from `from`: an end of block (`true`) or a start.
fn find_mark(src: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut i = from;
    while i < src.len() {
        if src[i] == START {
            return Some((i, false));
        }
        if src[i] == END[0] && src.get(i + 1) == Some(&END[1]) {
            return Some((i, true));
        }
        i += 1;
    }
    None
}

impl Decoder for MllpFrames {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        match self.state {
            State::Between => match src.iter().position(|&b| b == START) {
                Some(0) => {
                    src.advance(1);
                    self.state = State::InFrame { scanned: 0 };
                    self.decode(src)
                }
                Some(n) => {
                    src.advance(n);
                    Ok(Some(Frame::Garbage(n)))
                }
                None if src.is_empty() => Ok(None),
                None => {
                    let n = src.len();
                    src.clear();
                    Ok(Some(Frame::Garbage(n)))
                }
            },
            State::InFrame { scanned } => match find_mark(src, scanned) {
                Some((i, true)) => {
                    self.state = State::Between;
                    if i > self.max {
                        src.advance(i + END.len());
                        return Ok(Some(Frame::Oversize(i)));
                    }
                    let message = src.split_to(i);
                    src.advance(END.len());
                    Ok(Some(Frame::Message(message)))
                }
                Some((i, false)) => {
                    src.advance(i);
                    self.state = State::Between;
                    Ok(Some(Frame::Partial(i)))
                }
                None if src.len() > self.max => {
                    // Keep the last byte: it may be the first half of the end of block.
                    let dropped = src.len() - 1;
                    src.advance(dropped);
                    self.state = State::Discarding { dropped };
                    self.decode(src)
                }
                None => {
                    // The last byte may be 0x1C waiting for its 0x0D: scan it again next time.
                    self.state = State::InFrame {
                        scanned: src.len().saturating_sub(1),
                    };
                    Ok(None)
                }
            },
            State::Discarding { dropped } => match src.windows(2).position(|w| w == END) {
                Some(i) => {
                    src.advance(i + END.len());
                    self.state = State::Between;
                    Ok(Some(Frame::Oversize(dropped + i)))
                }
                None => {
                    let n = src.len().saturating_sub(1);
                    src.advance(n);
                    self.state = State::Discarding {
                        dropped: dropped + n,
                    };
                    Ok(None)
                }
            },
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        let left = src.len();
        src.clear();
        match std::mem::replace(&mut self.state, State::Between) {
            State::Between if left == 0 => Ok(None),
            State::Between => Ok(Some(Frame::Garbage(left))),
            State::InFrame { .. } => Ok(Some(Frame::Partial(left))),
            State::Discarding { dropped } => Ok(Some(Frame::Partial(dropped + left))),
        }
    }
}

impl Encoder<&str> for MllpFrames {
    type Error = std::io::Error;

    fn encode(&mut self, message: &str, dst: &mut BytesMut) -> Result<(), std::io::Error> {
        dst.reserve(message.len() + 3);
        dst.put_u8(START);
        dst.put_slice(message.as_bytes());
        dst.put_slice(&END);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut codec = MllpFrames::new(max);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                out.push(f);
            }
        }
        while let Some(f) = codec.decode_eof(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    fn msg(s: &str) -> Frame {
        Frame::Message(BytesMut::from(s))
    }

    #[test]
    fn frames_are_read_whole_however_the_bytes_are_cut() {
        let cases: &[(&[&[u8]], Vec<Frame>)] = &[
            (&[b"\x0bA\x1c\r"], vec![msg("A")]),
            (&[b"\x0bA\x1c\r\x0bB\x1c\r"], vec![msg("A"), msg("B")]),
            (&[b"\x0bA", b"B\x1c", b"\r"], vec![msg("AB")]),
            (
                &[b"\x0bA\x1c", b"\r\x0b", b"B\x1c\r"],
                vec![msg("A"), msg("B")],
            ),
            (&[b"\x0bA\x1cB\x1c\r"], vec![msg("A\x1cB")]),
        ];
        for (chunks, expected) in cases {
            assert_eq!(&all(100, chunks), expected, "{chunks:?}");
        }
    }

    #[test]
    fn garbage_partial_and_oversize_frames_are_reported_and_the_next_frame_still_read() {
        let cases: &[(&[&[u8]], Vec<Frame>)] = &[
            (&[b"junk\x0bA\x1c\r"], vec![Frame::Garbage(4), msg("A")]),
            (&[b"\x0bA\x1c\r\r\n"], vec![msg("A"), Frame::Garbage(2)]),
            (&[b"\x0bAB\x0bC\x1c\r"], vec![Frame::Partial(2), msg("C")]),
            (&[b"\x0bABC"], vec![Frame::Partial(3)]),
            (
                &[b"\x0b0123456789", b"01\x1c\r\x0bA\x1c\r"],
                vec![Frame::Oversize(12), msg("A")],
            ),
            (&[b"\x0b0123456789\x1c", b"\r"], vec![Frame::Oversize(10)]),
            (
                &[b"\x0b0123456789\x1c\r\x0bA\x1c\r"],
                vec![Frame::Oversize(10), msg("A")],
            ),
        ];
        for (chunks, expected) in cases {
            assert_eq!(&all(5, chunks), expected, "{chunks:?}");
        }
    }

    #[test]
    fn a_frame_is_written_with_its_start_and_end_of_block() {
        let mut buf = BytesMut::new();
        MllpFrames::new(10).encode("MSA|AA", &mut buf).unwrap();
        assert_eq!(&buf[..], b"\x0bMSA|AA\x1c\r");
    }
}
