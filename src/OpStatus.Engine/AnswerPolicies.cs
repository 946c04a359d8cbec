using System;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OpStatus.Engine;

/// <summary>An answer bigger than <see cref="PipelineSettings.MaxAnswerBytes"/>: not an operation status, and not read.</summary>
internal sealed class AnswerTooLargeException : Exception
{
    /// <param name="declared">The size the answer declared (Content-Length), or null when it came without one.</param>
    public AnswerTooLargeException(long? declared, long limit)
        : base(declared is { } size
            ? string.Format(CultureInfo.InvariantCulture, "the answer is {0:N0} bytes long, more than the {1:N0} bytes an operation status may have (OPSTATUS_MAX_RESPONSE_BYTES), so it was not read", size, limit)
            : string.Format(CultureInfo.InvariantCulture, "the answer is longer than the {0:N0} bytes an operation status may have (OPSTATUS_MAX_RESPONSE_BYTES), so it was read no further", limit))
    {
        Declared = declared;
        Limit = limit;
    }

    /// <summary>The size the answer declared, or null when it came without one (chunked).</summary>
    public long? Declared { get; }

    public long Limit { get; }
}

/// <summary>
/// Reads each answer whole within the try, so that no answer, however big or slow, can take more memory or time than a
/// status needs: at most <see cref="PipelineSettings.MaxAnswerBytes"/> (a bigger one ends the read, not retried), and the
/// headers and the body together within the network timeout (a body that trickles is a try that timed out, retried like
/// any). Azure.Core applies its network timeout to each read of an unbuffered body, not to the body as a whole, and
/// buffers a whole body of any size; so the requests leave their body unbuffered, and this reads it.
/// </summary>
internal sealed class BoundedAnswerPolicy : HttpPipelinePolicy
{
    private const int ChunkSize = 81920;

    private readonly long maxBytes;
    private readonly TimeSpan networkTimeout;

    public BoundedAnswerPolicy(long maxBytes, TimeSpan networkTimeout)
    {
        this.maxBytes = maxBytes;
        this.networkTimeout = networkTimeout;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        RunAsync(message, pipeline, async: false).GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        new(RunAsync(message, pipeline, async: true));

    private async Task RunAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(message.CancellationToken);
        deadline.CancelAfter(networkTimeout);
        if (async)
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        else
        {
            ProcessNext(message, pipeline);
        }

        var response = message.Response;
        if (response.ContentStream is not { } body)
        {
            return;
        }

        // The header itself, not the int ContentLength, so that a length beyond 2 GB is read too.
        long? declared = response.Headers.TryGetValue("Content-Length", out var length)
            && long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            ? bytes
            : body is MemoryStream held ? held.Length : null;
        if (declared > maxBytes)
        {
            body.Dispose();
            throw new AnswerTooLargeException(declared.Value, maxBytes);
        }

        if (body is MemoryStream)
        {
            // Already in memory, and within the limit: a transport that buffers.
            return;
        }

        var copy = new MemoryStream();
        var buffer = new byte[ChunkSize];
        try
        {
            using (deadline.Token.Register(() => body.Dispose()))
            {
                while (true)
                {
                    var read = await body.ReadAsync(buffer, 0, buffer.Length, deadline.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (copy.Length + read > maxBytes)
                    {
                        throw new AnswerTooLargeException(null, maxBytes);
                    }

                    copy.Write(buffer, 0, read);
                }
            }
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && !message.CancellationToken.IsCancellationRequested && ex is not AnswerTooLargeException)
        {
            // Retried by the pipeline as a try that timed out: a cancellation nobody asked for.
            throw new TaskCanceledException($"The whole answer did not arrive within the network timeout of {networkTimeout.TotalSeconds:0.#} s.", ex);
        }
        finally
        {
            body.Dispose();
        }

        copy.Position = 0;
        response.ContentStream = copy;
    }
}

/// <summary>
/// Azure.Core's retries (exponential back-off, the server's Retry-After honoured), except that a Retry-After longer than
/// <see cref="PipelineSettings.LongestRetryAfter"/> is not waited for: the read ends with that answer, whose error says
/// when to try again, instead of holding a shell for a day.
/// </summary>
internal sealed class BoundedRetryPolicy : RetryPolicy
{
    private readonly TimeSpan longest;

    public BoundedRetryPolicy(int maxRetries, DelayStrategy delay, TimeSpan longest)
        : base(maxRetries, delay) => this.longest = longest;

    protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
        base.ShouldRetry(message, exception) && !AsksTooLong(message, exception);

    protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) && !AsksTooLong(message, exception);

    private bool AsksTooLong(HttpMessage message, Exception? exception) =>
        exception is null && message.HasResponse && RetryAfterHeader.Of(message.Response) is { } asked && asked > longest;
}
