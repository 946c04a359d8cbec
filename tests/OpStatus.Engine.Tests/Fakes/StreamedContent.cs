using System.Net;

namespace OpStatus.Engine.Tests.Fakes;

/// <summary>
/// A body made as it is read, never held whole: a status followed by white space up to a size, with or without a
/// Content-Length, or one that comes a byte at a time.
/// </summary>
internal sealed class StreamedContent : HttpContent
{
    private readonly byte[] head;
    private readonly long size;
    private readonly bool declareLength;
    private readonly TimeSpan perByte;

    public StreamedContent(string head, long size, bool declareLength = true, TimeSpan perByte = default)
    {
        this.head = System.Text.Encoding.UTF8.GetBytes(head);
        this.size = Math.Max(size, this.head.Length);
        this.declareLength = declareLength;
        this.perByte = perByte;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (declareLength)
        {
            Headers.ContentLength = this.size;
        }
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new Generated(this));

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await new Generated(this).CopyToAsync(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = size;
        return declareLength;
    }

    /// <summary>The bytes of the body, made as they are read.</summary>
    private sealed class Generated : Stream
    {
        private readonly StreamedContent content;
        private long position;

        public Generated(StreamedContent content) => this.content = content;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => content.size;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (position >= content.size || count == 0)
            {
                return 0;
            }

            if (content.perByte > TimeSpan.Zero)
            {
                await Task.Delay(content.perByte, cancellationToken);
                count = 1;
            }

            var n = (int)Math.Min(count, content.size - position);
            for (var i = 0; i < n; i++)
            {
                var at = position + i;
                buffer[offset + i] = at < content.head.Length ? content.head[at] : (byte)' ';
            }

            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
